//! The users file: who may connect, with SCRAM-SHA-256 verifiers only (no
//! passwords, no salted passwords), and the accounts each user may see.
//!
//! ```toml
//! [[users]]
//! name = "analyst"
//! scram = "SCRAM-SHA-256$4096:…$…:…"
//! accounts = ["acc_001"]        # optional: without it the user sees every account
//! role = "writer"                # optional: "reader" (the default) or "writer"
//! ```
//!
//! A `writer` may define views for everyone (`CREATE VIEW`, `DROP VIEW`, …,
//! see `crate::user_views`); a `reader` gets 42501 and nothing changes.
//!
//! `conversql user add NAME --users FILE` writes entries; the file is written
//! whole (temporary file, then rename) with mode 0600.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::scram::Verifier;
use crate::error::{Error, Result};

/// One user of the users file.
#[derive(Debug, Clone)]
pub struct User {
    /// The login name.
    pub name: String,
    /// The SCRAM verifier of the user's password.
    pub verifier: Verifier,
    /// The accounts the user may see; `None` means every account.
    pub accounts: Option<Vec<String>>,
    /// What the user may do beyond reading.
    pub role: Role,
}

/// A user's role.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads only (the default).
    #[default]
    Reader,
    /// Reads and defines views for everyone.
    Writer,
}

impl Role {
    fn is_reader(&self) -> bool {
        *self == Role::Reader
    }
}

/// The users a server authenticates, by name.
#[derive(Debug, Clone, Default)]
pub struct Users {
    users: BTreeMap<String, User>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct UsersFile {
    #[serde(default)]
    users: Vec<UserEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserEntry {
    name: String,
    scram: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    accounts: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Role::is_reader")]
    role: Role,
}

impl Users {
    /// Loads the users file at `path`; every problem names the file and the user.
    pub fn load(path: &Path) -> Result<Users> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        Users::parse(&text)
            .map_err(|message| Error::config(format!("users file {}: {message}", path.display())))
    }

    /// Parses the text of a users file.
    pub fn parse(text: &str) -> Result<Users, String> {
        let file: UsersFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut users = BTreeMap::new();
        for (index, entry) in file.users.into_iter().enumerate() {
            let label = format!("user {} ('{}')", index + 1, entry.name);
            if entry.name.is_empty() {
                return Err(format!("{label}: the name is empty"));
            }
            let verifier = Verifier::parse(&entry.scram).map_err(|e| format!("{label}: {e}"))?;
            if let Some(accounts) = &entry.accounts
                && (accounts.is_empty() || accounts.iter().any(std::string::String::is_empty))
            {
                return Err(format!(
                    "{label}: accounts must list at least one non-empty account_id (omit it to allow every account)"
                ));
            }
            let user = User {
                name: entry.name.clone(),
                verifier,
                accounts: entry.accounts,
                role: entry.role,
            };
            if users.insert(entry.name.clone(), user).is_some() {
                return Err(format!("{label}: the name appears twice"));
            }
        }
        Ok(Users { users })
    }

    /// The user called `name`.
    pub fn get(&self, name: &str) -> Option<&User> {
        self.users.get(name)
    }

    /// The number of users.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether the file has no users.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }
}

/// Adds (or with `replace`, replaces) a user in the users file at `path`, creating the file if needed.
pub fn add_user(
    path: &Path,
    name: &str,
    password: &str,
    accounts: Option<Vec<String>>,
    role: Role,
    replace: bool,
) -> Result<()> {
    if name.is_empty() {
        return Err(Error::config("the user name is empty"));
    }
    if password.is_empty() {
        return Err(Error::config("the password is empty"));
    }
    let mut file: UsersFile = if path.exists() {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        Users::parse(&text)
            .map_err(|m| Error::config(format!("users file {}: {m}", path.display())))?;
        toml::from_str(&text)
            .map_err(|e| Error::config(format!("users file {}: {e}", path.display())))?
    } else {
        UsersFile::default()
    };
    let entry = UserEntry {
        name: name.to_string(),
        scram: Verifier::new(password).to_string(),
        accounts,
        role,
    };
    match file.users.iter_mut().find(|u| u.name == name) {
        Some(_) if !replace => {
            return Err(Error::config(format!(
                "user '{name}' already exists in {} (use --replace to change the password or accounts)",
                path.display()
            )));
        }
        Some(existing) => *existing = entry,
        None => file.users.push(entry),
    }
    let body = toml::to_string(&file)
        .map_err(|e| Error::config(format!("cannot write users file: {e}")))?;
    let text = format!(
        "# conversql users: SCRAM-SHA-256 verifiers only (see `conversql user add --help`).\n{body}"
    );
    write_private(path, &text)
}

/// Writes `text` to `path` atomically with owner-only permissions.
fn write_private(path: &Path, text: &str) -> Result<()> {
    let io = |p: &Path, e| Error::Io {
        path: p.display().to_string(),
        source: e,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp: PathBuf = dir.join(format!(
        ".{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("users")
    ));
    {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(&tmp).map_err(|e| io(&tmp, e))?;
        f.write_all(text.as_bytes()).map_err(|e| io(&tmp, e))?;
        f.sync_all().map_err(|e| io(&tmp, e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_then_load_keeps_only_verifiers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.toml");
        add_user(&path, "alice", "pa55word", None, Role::Reader, false).unwrap();
        add_user(
            &path,
            "bob",
            "hunter2",
            Some(vec!["acc_001".into()]),
            Role::Writer,
            false,
        )
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains("pa55word") && !text.contains("hunter2"),
            "{text}"
        );
        let users = Users::load(&path).unwrap();
        assert_eq!(users.len(), 2);
        assert_eq!(users.get("bob").unwrap().role, Role::Writer);
        assert_eq!(users.get("alice").unwrap().role, Role::Reader);
        assert!(
            text.contains("role = \"writer\"") && !text.contains("reader"),
            "{text}"
        );
        assert_eq!(
            users.get("bob").unwrap().accounts,
            Some(vec!["acc_001".to_string()])
        );
        assert!(users.get("alice").unwrap().accounts.is_none());
        let err = add_user(&path, "alice", "x", None, Role::Reader, false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("already exists"), "{err}");
        add_user(&path, "alice", "new", None, Role::Reader, true).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }

    #[test]
    fn bad_files_name_the_user_and_the_problem() {
        let err = Users::parse("[[users]]\nname = \"a\"\nscram = \"plain\"\n").unwrap_err();
        assert!(
            err.contains("user 1 ('a')") && err.contains("SCRAM-SHA-256$"),
            "{err}"
        );
        let v = Verifier::new("x").to_string();
        let twice = format!(
            "[[users]]\nname = \"a\"\nscram = \"{v}\"\n[[users]]\nname = \"a\"\nscram = \"{v}\"\n"
        );
        assert!(Users::parse(&twice).unwrap_err().contains("twice"));
        let empty = format!("[[users]]\nname = \"a\"\nscram = \"{v}\"\naccounts = []\n");
        assert!(Users::parse(&empty).unwrap_err().contains("at least one"));
        let unknown = format!("[[users]]\nname = \"a\"\nscram = \"{v}\"\npassword = \"x\"\n");
        assert!(Users::parse(&unknown).unwrap_err().contains("password"));
    }
}
