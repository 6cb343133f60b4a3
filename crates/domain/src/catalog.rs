//! The catalog of paths and projects (RULES.md, "Catalog").

use serde::{Deserialize, Serialize};

/// The complexity of a path or the difficulty of a project: 1, 2 or 3. Both index the rate card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Level(u8);

impl Level {
    pub const MIN: u8 = 1;
    pub const MAX: u8 = 3;

    pub fn new(value: u8) -> Result<Self, LevelOutOfRange> {
        if (Self::MIN..=Self::MAX).contains(&value) {
            Ok(Level(value))
        } else {
            Err(LevelOutOfRange(value))
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0} is not a level between 1 and 3")]
pub struct LevelOutOfRange(pub u8);

impl TryFrom<u8> for Level {
    type Error = LevelOutOfRange;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Level::new(value)
    }
}

impl From<Level> for u8 {
    fn from(level: Level) -> u8 {
        level.0
    }
}

/// A path's complexity (RULES.md: "complexity 1..=3").
pub type Complexity = Level;
/// A project's difficulty (RULES.md: "difficulty 1..=3").
pub type Difficulty = Level;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_one_to_three() {
        assert!(Level::new(0).is_err());
        assert_eq!(Level::new(1).map(Level::get), Ok(1));
        assert_eq!(Level::new(3).map(Level::get), Ok(3));
        assert!(Level::new(4).is_err());
        assert!(serde_json::from_str::<Level>("4").is_err());
    }
}
