//! What an IMAGE argument names: the transports of containers-transports(5) that skopeo,
//! podman and buildah users already type, and Docker's rules for short image names.
//!
//! | argument | meaning |
//! |---|---|
//! | `PATH`, `-` | a saved image (file, layout folder) or standard input, as always |
//! | `docker-archive:PATH[:REF]`, `oci-archive:PATH[:REF]`, `oci:DIR[:REF]`, `dir:DIR` | the same, with the prefix; `REF` picks an image inside (as `--image`) |
//! | `docker://[HOST/]REPO[:TAG\|@DIGEST]` | a registry |
//! | `docker-daemon:NAME[:TAG]`, `docker-daemon:ID` | a Docker Engine API daemon |
//! | `podman:NAME[:TAG]` (also `podman://`) | Podman's Docker-compatible socket |
//!
//! A bare argument that is no existing path but parses as an image reference is
//! [`Parsed::Bare`]: the caller may look for it in a local daemon, never in a registry.

use std::fmt;
use std::path::{Path, PathBuf};

/// Docker Hub, as references name it.
pub const DOCKER_HUB: &str = "docker.io";
/// Where Docker Hub's registry API answers.
pub const DOCKER_HUB_API: &str = "registry-1.docker.io";

/// A parsed image reference: `registry/repository[:tag][@digest]`, normalised as Docker
/// does (`python:3.12` is `docker.io/library/python:3.12`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// `docker.io`, `127.0.0.1:5000`, `ghcr.io`.
    pub registry: String,
    /// `library/python`, `org/app`.
    pub repository: String,
    /// `3.12`; `None` with a digest, or when neither was given (then `latest`).
    pub tag: Option<String>,
    /// `sha256:...`.
    pub digest: Option<String>,
}

impl Reference {
    /// Parses a reference as Docker does. The first component is a registry host when it
    /// holds a `.` or a `:` or is `localhost`; otherwise the registry is Docker Hub, where
    /// a one-component name lives under `library/`.
    pub fn parse(s: &str) -> Option<Reference> {
        if s.is_empty() || s.len() > 4096 || s.chars().any(|c| c.is_whitespace()) {
            return None;
        }
        let (name_tag, digest) = match s.split_once('@') {
            Some((n, d)) => {
                let (alg, hex) = d.split_once(':')?;
                let ok = !alg.is_empty()
                    && alg.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || "+.-_".contains(c)
                    })
                    && hex.len() >= 32
                    && hex.chars().all(|c| c.is_ascii_hexdigit());
                if !ok {
                    return None;
                }
                (n, Some(d.to_string()))
            }
            None => (s, None),
        };
        // A tag follows the last `:` after the last `/` (a port comes before a `/`).
        let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name_tag
            .get(last_slash..)
            .and_then(|tail| tail.rfind(':'))
            .map(|i| i + last_slash)
        {
            Some(i) => (name_tag.get(..i)?, Some(name_tag.get(i + 1..)?.to_string())),
            None => (name_tag, None),
        };
        if let Some(t) = &tag {
            let ok = !t.is_empty()
                && t.len() <= 128
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
                && !t.starts_with(['.', '-']);
            if !ok {
                return None;
            }
        }
        let (registry, path) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_string(), rest.to_string())
            }
            _ => (DOCKER_HUB.to_string(), name.to_string()),
        };
        if !valid_host(&registry) || !valid_path(&path) {
            return None;
        }
        let repository = if registry == DOCKER_HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        Some(Reference {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The tag or digest the registry's manifest endpoint takes.
    pub fn manifest_ref(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }

    /// The host (and port) to talk to: Docker Hub's API host for `docker.io`.
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB || self.registry == "index.docker.io" {
            DOCKER_HUB_API
        } else {
            &self.registry
        }
    }

    /// True for registries every client reaches over plain HTTP: the loopback ones.
    pub fn is_loopback(&self) -> bool {
        let host = match self.registry.rsplit_once(':') {
            Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
            _ => self.registry.as_str(),
        };
        host == "localhost" || host == "::1" || host == "[::1]" || host.starts_with("127.")
    }

    /// The short form a user would type back: `python:3.12` for Docker Hub's library.
    pub fn familiar(&self) -> String {
        let mut s = if self.registry == DOCKER_HUB {
            self.repository
                .strip_prefix("library/")
                .unwrap_or(&self.repository)
                .to_string()
        } else {
            format!("{}/{}", self.registry, self.repository)
        };
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d);
        }
        s
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

fn valid_host(h: &str) -> bool {
    !h.is_empty()
        && h.chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:[]_".contains(c))
}

/// Repository path components: lowercase letters, digits and the separators `._-`.
fn valid_path(p: &str) -> bool {
    !p.is_empty()
        && p.split('/').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
                && part
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphanumeric())
        })
}

/// Which daemon API a `docker-daemon:`/`podman:` source asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// `DOCKER_HOST`, else `/var/run/docker.sock` (Podman's compatible socket works too).
    Docker,
    /// Podman's sockets first.
    Podman,
}

/// What an IMAGE argument names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// A saved image, and the image to pick inside it (`oci-archive:x.tar:app:1`).
    Path {
        /// File or folder.
        path: PathBuf,
        /// An image inside an archive that holds several.
        pick: Option<String>,
    },
    /// Standard input.
    Stdin,
    /// A registry.
    Registry(Reference),
    /// A daemon's image by name or id.
    Daemon {
        /// Which API.
        engine: Engine,
        /// `app:pr`, `sha256:...` or a short id, as the daemon takes it.
        name: String,
    },
    /// No such path, but an image reference: a local daemon may have it.
    Bare {
        /// The argument as typed.
        name: String,
    },
}

/// What went wrong parsing an argument: the message says which forms there are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{arg}: {problem}")]
pub struct ParseError {
    /// The argument.
    pub arg: String,
    /// Why it is not a source, and what would be.
    pub problem: String,
}

/// The forms, for messages.
pub const FORMS: &str = "a file or folder, `-`, docker-archive:PATH, oci-archive:PATH[:REF], \
oci:DIR[:REF], dir:DIR, docker://HOST/REPO[:TAG|@DIGEST], docker-daemon:NAME[:TAG], podman:NAME[:TAG]";

/// Parses an IMAGE argument. An existing path always wins, so a file named
/// `docker:x` is still read as the file.
pub fn parse(arg: &str) -> Result<Parsed, ParseError> {
    if arg == "-" {
        return Ok(Parsed::Stdin);
    }
    if Path::new(arg).exists() {
        return Ok(Parsed::Path {
            path: PathBuf::from(arg),
            pick: None,
        });
    }
    let err = |problem: String| ParseError {
        arg: arg.to_string(),
        problem,
    };
    if let Some(rest) = arg.strip_prefix("docker://") {
        return Reference::parse(rest).map(Parsed::Registry).ok_or_else(|| {
            err("not an image reference (docker://HOST/REPO[:TAG|@DIGEST])".into())
        });
    }
    for (prefix, engine) in [
        ("docker-daemon:", Engine::Docker),
        ("podman://", Engine::Podman),
        ("podman:", Engine::Podman),
    ] {
        if let Some(rest) = arg.strip_prefix(prefix) {
            let name = rest.trim_start_matches("//");
            let ok = !name.is_empty() && (Reference::parse(name).is_some() || is_image_id(name));
            if !ok {
                return Err(err(format!(
                    "not an image name or id ({prefix}NAME[:TAG] or {prefix}ID)"
                )));
            }
            return Ok(Parsed::Daemon {
                engine,
                name: name.to_string(),
            });
        }
    }
    if let Some(rest) = arg.strip_prefix("dir:") {
        return Ok(Parsed::Path {
            path: PathBuf::from(rest),
            pick: None,
        });
    }
    for prefix in ["docker-archive:", "oci-archive:", "oci:"] {
        if let Some(rest) = arg.strip_prefix(prefix) {
            if rest.is_empty() {
                return Err(err(format!("{prefix} needs a path")));
            }
            return Ok(split_path_ref(rest));
        }
    }
    if let Some((scheme, _)) = arg.split_once("://") {
        return Err(err(format!(
            "unknown transport {scheme}://; sources are {FORMS}"
        )));
    }
    if Reference::parse(arg).is_some() || is_image_id(arg) {
        return Ok(Parsed::Bare {
            name: arg.to_string(),
        });
    }
    Err(err(format!("no such file or folder; sources are {FORMS}")))
}

/// `PATH[:REF]`: the longest prefix that exists is the path; without one, the part
/// before the first `:` (the error then names the missing file).
fn split_path_ref(rest: &str) -> Parsed {
    if Path::new(rest).exists() {
        return Parsed::Path {
            path: PathBuf::from(rest),
            pick: None,
        };
    }
    let mut cut = rest.len();
    while let Some(i) = rest.get(..cut).and_then(|s| s.rfind(':')) {
        let (path, pick) = (rest.get(..i).unwrap_or(rest), rest.get(i + 1..));
        if Path::new(path).exists() {
            return Parsed::Path {
                path: PathBuf::from(path),
                pick: pick.filter(|p| !p.is_empty()).map(str::to_string),
            };
        }
        cut = i;
    }
    match rest.split_once(':') {
        Some((path, pick)) => Parsed::Path {
            path: PathBuf::from(path),
            pick: Some(pick.to_string()).filter(|p| !p.is_empty()),
        },
        None => Parsed::Path {
            path: PathBuf::from(rest),
            pick: None,
        },
    }
}

/// An image id as daemons take it: `sha256:<hex>` or at least 12 hex digits.
fn is_image_id(s: &str) -> bool {
    let hex = s.strip_prefix("sha256:").unwrap_or(s);
    (12..=64).contains(&hex.len()) && hex.chars().all(|c| c.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> (String, String, Option<String>, Option<String>) {
        let r = Reference::parse(s).unwrap();
        (r.registry, r.repository, r.tag, r.digest)
    }

    #[test]
    fn short_names_resolve_as_docker_does() {
        assert_eq!(
            r("python:3.12"),
            (
                "docker.io".into(),
                "library/python".into(),
                Some("3.12".into()),
                None
            )
        );
        assert_eq!(r("org/app").1, "org/app");
        assert_eq!(r("org/app").0, "docker.io");
        assert_eq!(
            r("127.0.0.1:5000/app:main"),
            (
                "127.0.0.1:5000".into(),
                "app".into(),
                Some("main".into()),
                None
            )
        );
        assert_eq!(r("localhost/a/b").0, "localhost");
        assert_eq!(
            r("ghcr.io/o/p@sha256:0123456789abcdef0123456789abcdef")
                .3
                .unwrap()
                .len(),
            39
        );
        assert_eq!(
            Reference::parse("python:3.12").unwrap().api_host(),
            DOCKER_HUB_API
        );
        assert_eq!(Reference::parse("python").unwrap().manifest_ref(), "latest");
        assert_eq!(
            Reference::parse("python:3.12").unwrap().familiar(),
            "python:3.12"
        );
    }

    #[test]
    fn bad_references_are_refused() {
        for bad in [
            "",
            "UPPER/case",
            "a b",
            "app:",
            "app:-x",
            "a//b",
            "x@sha256:12",
        ] {
            assert!(Reference::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn loopback_registries_are_plain_http() {
        for host in ["localhost:5000/a", "127.0.0.1:41000/a", "localhost/a"] {
            assert!(Reference::parse(host).unwrap().is_loopback(), "{host}");
        }
        assert!(!Reference::parse("ghcr.io/a").unwrap().is_loopback());
    }

    #[test]
    fn transports() {
        assert_eq!(parse("-"), Ok(Parsed::Stdin));
        assert!(matches!(
            parse("docker://python:3.12"),
            Ok(Parsed::Registry(r)) if r.repository == "library/python"
        ));
        assert_eq!(
            parse("docker-daemon:app:pr"),
            Ok(Parsed::Daemon {
                engine: Engine::Docker,
                name: "app:pr".into()
            })
        );
        assert_eq!(
            parse("podman://alpine"),
            Ok(Parsed::Daemon {
                engine: Engine::Podman,
                name: "alpine".into()
            })
        );
        assert_eq!(
            parse("oci-archive:/nonexistent/x.tar:app:1"),
            Ok(Parsed::Path {
                path: "/nonexistent/x.tar".into(),
                pick: Some("app:1".into())
            })
        );
        assert_eq!(
            parse("dir:/nonexistent/d"),
            Ok(Parsed::Path {
                path: "/nonexistent/d".into(),
                pick: None
            })
        );
        assert_eq!(
            parse("alpine:3.20"),
            Ok(Parsed::Bare {
                name: "alpine:3.20".into()
            })
        );
        assert!(parse("ftp://x").unwrap_err().problem.contains("docker://"));
        assert!(
            parse("/no/such/File.tar")
                .unwrap_err()
                .problem
                .contains("no such file")
        );
    }

    #[test]
    fn an_existing_path_wins_and_picks_split_off() {
        let dir = std::env::temp_dir().join(format!("dw-ref-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("img.tar");
        std::fs::write(&file, b"x").unwrap();
        let f = file.display().to_string();
        assert_eq!(
            parse(&format!("oci-archive:{f}:app:1")),
            Ok(Parsed::Path {
                path: file.clone(),
                pick: Some("app:1".into())
            })
        );
        assert_eq!(
            parse(&format!("oci:{f}")),
            Ok(Parsed::Path {
                path: file.clone(),
                pick: None
            })
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
