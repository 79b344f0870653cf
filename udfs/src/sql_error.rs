//! An error raised inside a function that carries PostgreSQL's SQLSTATE.
//!
//! DataFusion's own errors say what failed but not which SQLSTATE PostgreSQL
//! would report; a function that knows (a malformed array literal is 22P02,
//! an unsupported case 0A000) raises a [`SqlError`] wrapped in
//! `DataFusionError::External`, and the server reads the code from it.

use std::fmt;

use datafusion::error::DataFusionError;

/// An error with the SQLSTATE PostgreSQL reports for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    /// The five-character SQLSTATE.
    pub sqlstate: &'static str,
    /// The message.
    pub message: String,
}

impl SqlError {
    /// An error with SQLSTATE `sqlstate` and `message`.
    pub fn new(sqlstate: &'static str, message: impl Into<String>) -> Self {
        SqlError {
            sqlstate,
            message: message.into(),
        }
    }

    /// `feature is not supported` (SQLSTATE 0A000).
    pub fn unsupported(message: impl Into<String>) -> Self {
        SqlError::new("0A000", message)
    }
}

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SqlError {}

impl From<SqlError> for DataFusionError {
    fn from(e: SqlError) -> Self {
        DataFusionError::External(Box::new(e))
    }
}
