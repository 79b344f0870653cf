//! What the tests need from outside the repository (client programs, Python
//! modules, a PostgreSQL server, a browser), and the one way a test asks for
//! it: [`require`] (or the `require!` macro of the integration tests).
//!
//! When something is missing the test is skipped: one line
//! `SKIPPED <test>: <what is missing>; install with: <command>` goes to
//! stderr (past libtest's output capture, so it is always seen) and the test
//! returns, passing. With `CONVERSQL_TEST_REQUIRE_ALL=1` (set by
//! `scripts/test`, which installs everything, and by `.ci/run`) the same
//! message is a panic instead: CI never skips.
//!
//! Also compiled into the sqllogictest runner (`tests/slt.rs`) for its S3 half.

#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;

/// The environment variable that turns a skip into a failure.
pub const REQUIRE_ALL: &str = "CONVERSQL_TEST_REQUIRE_ALL";

/// How to tell whether a requirement is there.
#[derive(Debug, Clone, Copy)]
pub enum Probe {
    /// A command that must start and exit with status 0 (a program on
    /// `PATH` that runs, a Python module that imports).
    Runs(&'static [&'static str]),
    /// A file or directory that must exist; a relative path is under the
    /// repository root.
    Path(&'static str),
    /// A client's virtual environment, installed by
    /// scripts/install-python-clients from tests/clients/venvs/<name>.txt.
    Venv(&'static str),
}

/// Something a test needs from outside the repository.
#[derive(Debug, Clone, Copy)]
pub struct Requirement {
    /// What it is, as the skip message names it.
    pub what: &'static str,
    /// How to tell it is there.
    pub probe: Probe,
    /// The exact command that installs it (from the repository root).
    pub install: &'static str,
}

const PIP: &str = "python3 -m pip install -r tests/requirements.txt";

/// psql, Debian's PostgreSQL client.
pub const PSQL: Requirement = Requirement {
    what: "psql (PostgreSQL client)",
    probe: Probe::Runs(&["psql", "--version"]),
    install: "apt-get install -y postgresql-client",
};
/// Debian's PostgreSQL 15 server, the reference the BI replays compare with.
pub const POSTGRES_SERVER: Requirement = Requirement {
    what: "PostgreSQL 15 server (/usr/lib/postgresql/15/bin/postgres)",
    probe: Probe::Path("/usr/lib/postgresql/15/bin/postgres"),
    install: "apt-get install -y postgresql",
};
/// kill(1), to signal a child process.
pub const KILL: Requirement = Requirement {
    what: "kill (procps)",
    probe: Probe::Runs(&["kill", "-l"]),
    install: "apt-get install -y procps",
};
/// A Java 17 JDK (javac and java).
pub const JAVA: Requirement = Requirement {
    what: "Java JDK (javac)",
    probe: Probe::Runs(&["javac", "-version"]),
    install: "apt-get install -y openjdk-17-jdk-headless",
};
/// pgjdbc, Debian's libpostgresql-jdbc-java.
pub const PGJDBC: Requirement = Requirement {
    what: "pgjdbc (/usr/share/java/postgresql.jar)",
    probe: Probe::Path("/usr/share/java/postgresql.jar"),
    install: "apt-get install -y libpostgresql-jdbc-java",
};
/// Node.js.
pub const NODE: Requirement = Requirement {
    what: "Node.js (node)",
    probe: Probe::Runs(&["node", "--version"]),
    install: "apt-get install -y nodejs npm",
};
/// node-postgres and pg-cursor, pinned by tests/clients/node/package-lock.json.
pub const NODE_POSTGRES: Requirement = Requirement {
    what: "node-postgres (tests/clients/node/node_modules)",
    probe: Probe::Path("tests/clients/node/node_modules/pg-cursor"),
    install: "(cd tests/clients/node && npm ci)",
};
/// psqlODBC, Debian's odbc-postgresql, with unixODBC.
pub const PSQLODBC: Requirement = Requirement {
    what: "psqlODBC (/usr/lib/x86_64-linux-gnu/odbc/psqlodbcw.so)",
    probe: Probe::Path("/usr/lib/x86_64-linux-gnu/odbc/psqlodbcw.so"),
    install: "apt-get install -y odbc-postgresql unixodbc",
};
/// Debian's Chromium, headless.
pub const CHROMIUM: Requirement = Requirement {
    what: "chromium",
    probe: Probe::Runs(&["chromium", "--version"]),
    install: "apt-get install -y chromium",
};
/// moto's S3 server, from PyPI.
pub const MOTO_SERVER: Requirement = Requirement {
    what: "moto_server (moto[server])",
    probe: Probe::Runs(&["moto_server", "--help"]),
    install: PIP,
};

macro_rules! python_module {
    ($name:ident, $module:literal) => {
        #[doc = concat!("The Python module `", $module, "`, from tests/requirements.txt.")]
        pub const $name: Requirement = Requirement {
            what: concat!("Python module ", $module),
            probe: Probe::Runs(&["python3", "-c", concat!("import ", $module)]),
            install: PIP,
        };
    };
}
python_module!(PSYCOPG, "psycopg");
python_module!(PSYCOPG2, "psycopg2");
python_module!(SQLALCHEMY, "sqlalchemy");
python_module!(PANDAS, "pandas");
python_module!(ASYNCPG, "asyncpg");
python_module!(PYODBC, "pyodbc");
python_module!(BOTO3, "boto3");
python_module!(POLARS, "polars");
python_module!(CONNECTORX, "connectorx");
python_module!(ADBC_POSTGRESQL, "adbc_driver_postgresql");
python_module!(PYARROW, "pyarrow");
python_module!(PG8000, "pg8000");
python_module!(IBIS, "ibis");

const VENVS: &str = "scripts/install-python-clients";

macro_rules! client_venv {
    ($name:ident, $venv:literal) => {
        #[doc = concat!("The `", $venv, "` client environment (tests/clients/venvs/", $venv, ".txt).")]
        pub const $name: Requirement = Requirement {
            what: concat!("the ", $venv, " client environment"),
            probe: Probe::Venv($venv),
            install: VENVS,
        };
    };
}
client_venv!(PGCLI, "pgcli");
client_venv!(HARLEQUIN, "harlequin");
client_venv!(SUPERSET, "superset");
client_venv!(DBT, "dbt");
client_venv!(DUCKDB, "duckdb");

/// Where scripts/install-python-clients puts the clients' environments:
/// `$CONVERSQL_CLIENTS`, else `${XDG_CACHE_HOME:-$HOME/.cache}/conversql/clients`.
pub fn clients_dir() -> std::path::PathBuf {
    if let Some(dir) = std::env::var_os("CONVERSQL_CLIENTS") {
        return dir.into();
    }
    let cache = std::env::var_os("XDG_CACHE_HOME").map_or_else(
        || std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache"),
        std::path::PathBuf::from,
    );
    cache.join("conversql").join("clients")
}

/// The directory of a client environment's programs (`python`, `pgcli`, `dbt`…).
pub fn venv_bin(venv: &str) -> std::path::PathBuf {
    clients_dir().join(venv).join("bin")
}

impl Requirement {
    /// Whether it is there; probed once per process.
    pub fn is_met(&self) -> bool {
        static SEEN: Mutex<Vec<(&'static str, bool)>> = Mutex::new(Vec::new());
        if let Some(&(_, met)) = SEEN.lock().unwrap().iter().find(|(w, _)| *w == self.what) {
            return met;
        }
        let met = match self.probe {
            Probe::Runs(argv) => Command::new(argv[0])
                .args(&argv[1..])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success()),
            Probe::Path(path) => Path::new(env!("CARGO_MANIFEST_DIR")).join(path).exists(),
            Probe::Venv(venv) => clients_dir()
                .join(venv)
                .join("requirements.sha256")
                .exists(),
        };
        SEEN.lock().unwrap().push((self.what, met));
        met
    }
}

/// The line that reports `test` skipped (or failed) for lack of `missing`.
pub fn skip_message(test: &str, missing: &[&Requirement]) -> String {
    let what: Vec<&str> = missing.iter().map(|r| r.what).collect();
    let mut install: Vec<&str> = vec![];
    for r in missing {
        if !install.contains(&r.install) {
            install.push(r.install);
        }
    }
    format!(
        "SKIPPED {test}: {} missing; install with: {}",
        what.join(", "),
        install.join(" && ")
    )
}

/// Whether everything `test` needs is there. If not: with `require_all`
/// false, prints the [`skip_message`] to stderr and returns false (the test
/// should return, passing); with `require_all` true, panics with it (at the
/// caller's line).
#[track_caller]
pub fn require_with(test: &str, needs: &[&Requirement], require_all: bool) -> bool {
    let missing: Vec<&Requirement> = needs.iter().copied().filter(|r| !r.is_met()).collect();
    if missing.is_empty() {
        return true;
    }
    let message = skip_message(test, &missing);
    assert!(!require_all, "{message} ({REQUIRE_ALL}=1)");
    // Straight to the process's stderr: libtest captures only the print macros.
    let _ = writeln!(std::io::stderr(), "{message}");
    false
}

/// Whether `CONVERSQL_TEST_REQUIRE_ALL=1` is set.
pub fn require_all() -> bool {
    std::env::var(REQUIRE_ALL).is_ok_and(|v| v == "1")
}

/// [`require_with`], failing instead of skipping when `CONVERSQL_TEST_REQUIRE_ALL=1`.
#[track_caller]
pub fn require(test: &str, needs: &[&Requirement]) -> bool {
    require_with(test, needs, require_all())
}

/// The name of the running test: libtest names the thread it runs a test on
/// after the test; `fallback` (the caller's module path) otherwise.
pub fn current_test(fallback: &str) -> String {
    match std::thread::current().name() {
        Some(name) if name != "main" => name.to_string(),
        _ => fallback.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOWHERE: Requirement = Requirement {
        what: "conversql-no-such-program",
        probe: Probe::Runs(&["conversql-no-such-program-3f9c", "--version"]),
        install: "apt-get install -y conversql-no-such-program",
    };
    const NO_FILE: Requirement = Requirement {
        what: "tests/no-such-file",
        probe: Probe::Path("tests/no-such-file"),
        install: "touch tests/no-such-file",
    };
    const CARGO_TOML: Requirement = Requirement {
        what: "Cargo.toml",
        probe: Probe::Path("Cargo.toml"),
        install: "git checkout Cargo.toml",
    };

    #[test]
    fn a_missing_requirement_skips_the_test() {
        assert!(!require_with("t", &[&NOWHERE], false));
        assert!(!require_with("t", &[&CARGO_TOML, &NO_FILE], false));
    }

    #[test]
    #[should_panic(
        expected = "SKIPPED t: conversql-no-such-program missing; install with: apt-get install -y conversql-no-such-program (CONVERSQL_TEST_REQUIRE_ALL=1)"
    )]
    fn a_missing_requirement_fails_the_test_when_all_are_required() {
        require_with("t", &[&CARGO_TOML, &NOWHERE], true);
    }

    #[test]
    fn present_requirements_let_the_test_run_in_both_modes() {
        assert!(require_with("t", &[&CARGO_TOML], false));
        assert!(require_with("t", &[&CARGO_TOML], true));
        assert!(require_with("t", &[], true));
    }

    #[test]
    fn the_message_names_each_missing_thing_and_each_command_once() {
        let pip = [&PSYCOPG, &PANDAS, &PSQL];
        assert_eq!(
            skip_message("server::x", &pip),
            "SKIPPED server::x: Python module psycopg, Python module pandas, psql (PostgreSQL client) \
             missing; install with: python3 -m pip install -r tests/requirements.txt \
             && apt-get install -y postgresql-client"
        );
    }

    #[test]
    fn the_test_name_comes_from_libtest() {
        assert_eq!(
            current_test("fallback"),
            "common::require::tests::the_test_name_comes_from_libtest"
        );
    }
}
