//! Which configuration owns what accessctl wrote, and what happens to an object a configuration
//! stops declaring. One rule for access entries (an EKS tag), aws-auth mappings (an annotation on
//! the ConfigMap) and RBAC bindings (a label): `prune` deletes only what *this* configuration
//! owns, and an object two configurations claim is deleted only when the last of them lets go.
//!
//! A configuration's owner id is set with `owner "…"` in its cluster block; without it the
//! owner is `default`. Two configurations that manage one cluster with `prune` must set
//! different owners: with the same id they are one owner, and each would delete what the other
//! declares.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The owner of a configuration that does not name one.
pub const DEFAULT_OWNER: &str = "default";

/// The value accessctl wrote on its entries before owners existed: the default owner.
const LEGACY_CLAIM: &str = "true";

/// Whether `id` can be an owner: 1–63 lower-case letters, digits, `-`, `_` and `.`, starting and
/// ending with a letter or digit — valid as a Kubernetes label value and an EKS tag value.
pub fn valid_owner(id: &str) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    (1..=63).contains(&id.len())
        && edge(id.chars().next())
        && edge(id.chars().last())
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
        && id != LEGACY_CLAIM
}

/// The configurations that claim one object. Empty: accessctl did not write it (or never adopted
/// it), and never deletes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Owners(BTreeSet<String>);

impl Owners {
    pub fn of(owner: &str) -> Owners {
        Owners(BTreeSet::from([owner.to_string()]))
    }

    /// From a tag or label value: owner ids separated by spaces (`true`, written before owners
    /// existed, is the default owner).
    pub fn parse(value: &str) -> Owners {
        Owners(
            value
                .split_whitespace()
                .map(|id| if id == LEGACY_CLAIM { DEFAULT_OWNER } else { id })
                .map(str::to_string)
                .collect(),
        )
    }

    /// The value written back: sorted ids separated by spaces.
    pub fn render(&self) -> String {
        self.0.iter().cloned().collect::<Vec<_>>().join(" ")
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn claims(&self, owner: &str) -> bool {
        self.0.contains(owner)
    }

    pub fn with(&self, owner: &str) -> Owners {
        let mut next = self.clone();
        next.0.insert(owner.to_string());
        next
    }

    pub fn without(&self, owner: &str) -> Owners {
        let mut next = self.clone();
        next.0.remove(owner);
        next
    }

    /// The owners other than `owner`.
    pub fn others(&self, owner: &str) -> Owners {
        self.without(owner)
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

impl fmt::Display for Owners {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

/// What becomes of a live object that this configuration does not declare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undeclared {
    /// Deleted: this configuration owns it alone and prunes.
    Delete,
    /// Other configurations claim it too: this one lets go of its claim, the object stays.
    Release,
    /// Kept, and why.
    Keep(KeptBecause),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeptBecause {
    /// No configuration claims it (made by hand, by eksctl, by EKS itself).
    NotManaged,
    /// Other configurations own it.
    OwnedByOthers(Owners),
    Protected,
    PruneOff,
}

impl fmt::Display for KeptBecause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeptBecause::NotManaged => f.write_str("not created by accessctl"),
            KeptBecause::OwnedByOthers(o) => write!(f, "owned by {}", o.iter().collect::<Vec<_>>().join(", ")),
            KeptBecause::Protected => f.write_str("protected"),
            KeptBecause::PruneOff => f.write_str("prune is off"),
        }
    }
}

/// The rule: an undeclared object is deleted only when `owner` claims it, nobody else does,
/// `prune` is on and the principal is not protected.
pub fn undeclared(owners: &Owners, owner: &str, prune: bool, protected: bool) -> Undeclared {
    if !owners.claims(owner) {
        return Undeclared::Keep(if owners.is_empty() {
            KeptBecause::NotManaged
        } else {
            KeptBecause::OwnedByOthers(owners.clone())
        });
    }
    if protected {
        return Undeclared::Keep(KeptBecause::Protected);
    }
    if !prune {
        return Undeclared::Keep(KeptBecause::PruneOff);
    }
    if owners.others(owner).is_empty() { Undeclared::Delete } else { Undeclared::Release }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_claims_are_the_default_owner() {
        assert_eq!(Owners::parse("true"), Owners::of(DEFAULT_OWNER));
        assert_eq!(Owners::parse(" team-b  team-a "), Owners::of("team-a").with("team-b"));
        assert_eq!(Owners::parse("team-b team-a").render(), "team-a team-b");
        assert!(Owners::parse("").is_empty());
    }

    #[test]
    fn owner_ids_fit_labels_and_tags() {
        for ok in ["default", "team-a", "payments.prod", "a", "x_1"] {
            assert!(valid_owner(ok), "{ok}");
        }
        for bad in ["", "Team", "-a", "a-", "a b", "true", &"a".repeat(64), "a/b"] {
            assert!(!valid_owner(bad), "{bad}");
        }
    }

    #[test]
    fn only_a_sole_owner_that_prunes_deletes() {
        let mine = Owners::of("a");
        let shared = mine.with("b");
        assert_eq!(undeclared(&mine, "a", true, false), Undeclared::Delete);
        assert_eq!(undeclared(&shared, "a", true, false), Undeclared::Release);
        assert_eq!(undeclared(&mine, "a", false, false), Undeclared::Keep(KeptBecause::PruneOff));
        assert_eq!(undeclared(&mine, "a", true, true), Undeclared::Keep(KeptBecause::Protected));
        assert_eq!(
            undeclared(&Owners::of("b"), "a", true, false),
            Undeclared::Keep(KeptBecause::OwnedByOthers(Owners::of("b")))
        );
        assert_eq!(undeclared(&Owners::default(), "a", true, false), Undeclared::Keep(KeptBecause::NotManaged));
    }
}
