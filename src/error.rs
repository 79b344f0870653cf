//! The crate's error type.

use datafusion::error::DataFusionError;

/// Everything that can go wrong in conversql, with the context that names what was wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The dataset root URL or its layout is unusable.
    #[error("dataset {root}: {message}")]
    Dataset {
        /// The root URL as given.
        root: String,
        /// What is wrong with it.
        message: String,
    },
    /// A view definition failed to load.
    #[error("view file {file}: {message}")]
    View {
        /// The `.sql` file.
        file: String,
        /// Why it failed.
        message: String,
    },
    /// A bad setting or argument.
    #[error("{0}")]
    Config(String),
    /// A statement that would change data or the catalog (SQLSTATE 25006).
    #[error("{0}")]
    ReadOnly(String),
    /// `SET`/`SHOW`/`RESET` of a setting that does not exist (SQLSTATE 42704).
    #[error("unrecognized configuration parameter \"{0}\"")]
    UnknownSetting(String),
    /// A setting given a value it cannot take (SQLSTATE 22023).
    #[error("{0}")]
    InvalidSetting(String),
    /// `FETCH`/`MOVE`/`CLOSE` of a cursor that is not open (SQLSTATE 34000).
    #[error("cursor \"{0}\" does not exist")]
    UnknownCursor(String),
    /// `DECLARE` of a cursor name already open (SQLSTATE 42P03).
    #[error("cursor \"{0}\" already exists")]
    DuplicateCursor(String),
    /// A statement or setting this session's user may not run or change (SQLSTATE 42501).
    #[error("{0}")]
    PermissionDenied(String),
    /// A statement nested or branched deeper than the server plans safely (SQLSTATE 54001).
    #[error("statement too complex: {0}")]
    TooComplex(String),
    /// SQL that does not parse (SQLSTATE 42601).
    #[error("syntax error: {0}")]
    Syntax(String),
    /// An error from the query engine.
    #[error(transparent)]
    DataFusion(#[from] DataFusionError),
    /// An error whose PostgreSQL SQLSTATE is known where it arises (a malformed array
    /// parameter is 22P02, a session's temporary view that exists 42P07, an unsupported case 0A000).
    #[error("{message}")]
    Postgres {
        /// The SQLSTATE.
        sqlstate: &'static str,
        /// PostgreSQL's message.
        message: String,
    },
    /// A scheduled report that is invalid or failed, naming the report and the field at fault.
    #[error("report {report}: {field}: {message}")]
    Report {
        /// The report's name.
        report: String,
        /// The field of the reports file (or CLI option) at fault: `schedule`, `sql`, `output`, …
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A report output that could not be written (or exists and may not be replaced).
    #[error("output {url}: {message}")]
    Output {
        /// The output URL.
        url: String,
        /// Why it failed.
        message: String,
    },
    /// An I/O error with the path it concerns.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl From<arrow::error::ArrowError> for Error {
    fn from(e: arrow::error::ArrowError) -> Self {
        Error::DataFusion(DataFusionError::ArrowError(Box::new(e), None))
    }
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The Postgres SQLSTATE that fits this error.
    pub fn sqlstate(&self) -> &'static str {
        match self {
            Error::ReadOnly(_) => "25006",
            Error::UnknownSetting(_) => "42704",
            Error::InvalidSetting(_) => "22023",
            Error::Syntax(_) => "42601",
            Error::PermissionDenied(_) => "42501",
            Error::TooComplex(_) => "54001",
            Error::UnknownCursor(_) => "34000",
            Error::DuplicateCursor(_) => "42P03",
            Error::Config(_) => "22023",
            Error::DataFusion(e) => datafusion_sqlstate(e),
            Error::Postgres { sqlstate, .. } => sqlstate,
            Error::Dataset { .. } | Error::Io { .. } | Error::Output { .. } => "58030",
            Error::Report { .. } => "22023",
            Error::View { .. } => "42P17",
        }
    }

    /// Shorthand for [`Error::Report`].
    pub fn report(report: &str, field: &str, message: impl Into<String>) -> Self {
        Error::Report {
            report: report.to_string(),
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// Shorthand for [`Error::Config`].
    pub fn config(message: impl Into<String>) -> Self {
        Error::Config(message.into())
    }
}

/// Maps a DataFusion error to the closest Postgres SQLSTATE.
pub fn datafusion_sqlstate(e: &DataFusionError) -> &'static str {
    let root = e.find_root();
    if matches!(root, DataFusionError::ResourcesExhausted(_)) {
        return "53200";
    }
    if let DataFusionError::External(inner) = root
        && inner.downcast_ref::<ValueTooLarge>().is_some()
    {
        return "54000";
    }
    if let DataFusionError::External(inner) = root
        && let Some(e) = inner.downcast_ref::<conversql_udfs::SqlError>()
    {
        return e.sqlstate;
    }
    if let DataFusionError::External(inner) = root
        && inner
            .downcast_ref::<crate::dialect::scalar_subquery::MoreThanOneRow>()
            .is_some()
    {
        return "21000";
    }
    // A gRPC status that carries no DataFusion error: a cluster worker that
    // could not be reached or went away mid-query (see `crate::cluster`).
    if let DataFusionError::External(inner) = root
        && inner.downcast_ref::<tonic::Status>().is_some()
    {
        return "08006";
    }
    match e {
        DataFusionError::SQL(..) => "42601",
        DataFusionError::Plan(msg) => {
            if msg.contains("not found") || msg.contains("No field named") {
                if msg.contains("table") || msg.contains("Table") {
                    "42P01"
                } else {
                    "42703"
                }
            } else if msg.contains("Invalid function")
                || msg.contains("function") && msg.contains("not")
            {
                "42883"
            } else {
                "42601"
            }
        }
        DataFusionError::SchemaError(..) => "42703",
        DataFusionError::NotImplemented(_) => "0A000",
        DataFusionError::ResourcesExhausted(_) => "53200",
        DataFusionError::Configuration(_) => "22023",
        // A text that is not a value of the type cast to: PostgreSQL's invalid_text_representation.
        DataFusionError::ArrowError(inner, _)
            if matches!(
                inner.as_ref(),
                arrow::error::ArrowError::CastError(_) | arrow::error::ArrowError::ParseError(_)
            ) =>
        {
            "22P02"
        }
        DataFusionError::ArrowError(..) => "22000",
        DataFusionError::Execution(_) => "22000",
        DataFusionError::Context(_, inner) | DataFusionError::Diagnostic(_, inner) => {
            datafusion_sqlstate(inner)
        }
        DataFusionError::Shared(inner) => datafusion_sqlstate(inner),
        _ => "XX000",
    }
}

/// A value larger than one field may hold (SQLSTATE 54000); raised inside
/// DataFusion by the bounded value-building functions ([`crate::bounded_values`]).
#[derive(Debug)]
pub struct ValueTooLarge(pub String);

impl std::fmt::Display for ValueTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ValueTooLarge {}
