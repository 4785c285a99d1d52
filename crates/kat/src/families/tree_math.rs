//! `tree-math.json`: node width, root, children, parent and sibling for each node of trees
//! of several sizes (RFC 9420 Appendix C).

use braid_mls::tree_math::{self, NodeIndex};
use serde_json::Value;

use crate::{check_eq, Case, CaseResult};

/// Checks one tree size.
pub fn check(case: Case<'_>) -> CaseResult {
    let n_leaves = u32::try_from(case.u64("n_leaves")?).map_err(|_| "n_leaves out of range")?;
    let width = tree_math::node_width(n_leaves).ok_or("n_leaves too large")?;
    check_eq("n_nodes", u64::from(width), case.u64("n_nodes")?)?;
    check_eq(
        "root",
        tree_math::root(n_leaves).map(|r| u64::from(r.0)),
        Some(case.u64("root")?),
    )?;
    for field in ["left", "right", "parent", "sibling"] {
        let expected = case
            .get(field)?
            .as_array()
            .ok_or_else(|| format!("field `{field}` is not an array"))?;
        check_eq(&format!("{field} length"), expected.len(), width as usize)?;
        for (x, expected) in (0..width).zip(expected) {
            let expected = match expected {
                Value::Null => None,
                value => Some(
                    value
                        .as_u64()
                        .ok_or_else(|| format!("{field}[{x}] is not an integer"))?,
                ),
            };
            let actual = relation(field, NodeIndex(x), n_leaves).map(|node| u64::from(node.0));
            check_eq(&format!("{field}[{x}]"), actual, expected)?;
        }
    }
    Ok(())
}

/// The node that `field` names for `x` in a tree of `n_leaves` leaves.
fn relation(field: &str, x: NodeIndex, n_leaves: u32) -> Option<NodeIndex> {
    match field {
        "left" => x.left(),
        "right" => x.right(),
        "parent" => x.parent(n_leaves),
        _ => x.sibling(n_leaves),
    }
}
