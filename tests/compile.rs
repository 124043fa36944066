//! The compiler end to end through the binary: exit codes and outputs on real inputs.

use crate::common::{corpus, relplan, stdout};

#[test]
fn default_plan_over_the_newest_manifest_groups_by_depth() {
    let manifest = corpus("blvm__cb7a509");
    let out = relplan(&[
        "compile",
        "--versions",
        manifest.to_str().unwrap(),
        "--owner",
        "BTCDecoded",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let plan: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        plan["groups"],
        serde_json::json!([
            ["blvm-consensus", "blvm-sdk"],
            ["blvm-protocol", "governance-app"],
            ["blvm-node"],
            ["blvm"]
        ])
    );
}
