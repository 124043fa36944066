//! What commands print on stdout, through one function. A reader that stops reading
//! (`relplan compile PLAN | head`) is not an error: the rest of the output is dropped and
//! the command ends as it would have. Any other failure to write (a full disk behind
//! `> plan.json`) is an error, so a truncated output never passes for a complete one.
//! (`print!` would panic in the first case and, unchecked, hide the second.)

use std::io::{ErrorKind, Write};

use crate::run_error::RunError;

/// Writes `text` to stdout as it is.
pub fn print(text: &str) -> Result<(), RunError> {
    write_to(&mut std::io::stdout().lock(), text.as_bytes())
}

/// Writes `text` and a newline to stdout.
pub fn line(text: &str) -> Result<(), RunError> {
    print(&format!("{text}\n"))
}

/// Writes `bytes` to `out`, a closed pipe counting as done.
fn write_to(out: &mut dyn Write, bytes: &[u8]) -> Result<(), RunError> {
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != ErrorKind::BrokenPipe => {
            Err(RunError::new(format!("cannot write the output: {e}"))
                .with_help("check where stdout goes (a full disk, a closed file)"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Failing(ErrorKind);

    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(self.0.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_is_not_an_error_but_a_full_disk_is() {
        assert!(write_to(&mut Failing(ErrorKind::BrokenPipe), b"x").is_ok());
        let error = write_to(&mut Failing(ErrorKind::StorageFull), b"x").expect_err("fails");
        assert_eq!(
            error.render(),
            "error: cannot write the output: no storage space\nhelp: check where stdout goes (a full disk, a closed file)\n"
        );
    }
}
