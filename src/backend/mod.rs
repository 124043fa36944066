//! The worlds that run builds, each implementing the executor's
//! [`Backend`](crate::exec::backend::Backend): [`sim`], a simulated world durable in the
//! state directory, [`github`], GitHub Actions over the protocol layer in
//! [`crate::github`] (watching runs through one listing per repository:
//! [`github_watch`]), and [`local`], builds on this machine under supervisors that outlive
//! the executor. Backends import the executor's interface; the executor never imports a
//! backend.

pub mod github;
pub mod github_adoption;
pub mod github_watch;
pub mod local;
pub mod sim;
