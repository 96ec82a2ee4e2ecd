//! Layer instructions in the Dockerfile's words. Builders record `created_by` each their
//! own way:
//!
//! | builder | recorded as |
//! |---|---|
//! | classic builder, buildah, podman | `/bin/sh -c #(nop)  CMD ["bash"]`, `/bin/sh -c #(nop) COPY dir:<sha256> in /app `, `/bin/sh -c apt-get update` |
//! | the same with build args | `\|1 PIP_CERT=/mnt/ca.pem /bin/sh -c python3 -m venv ...` |
//! | BuildKit | `RUN /bin/sh -c apt-get update # buildkit`, `RUN \|1 K=v /bin/sh -c ... # buildkit`, `COPY . /app # buildkit` |
//! | kaniko | `RUN apt-get update`, `COPY . /app` |
//!
//! [`Instruction::parse`] turns each into the keyword and its arguments as a Dockerfile
//! writes them (`RUN apt-get update`, `COPY dir:5a7c2b1e9f03 /app`), the build args of a
//! RUN listed apart with secret values masked as the secret rules mask them. Anything
//! else (`debootstrap ...`, a tool's own note) is kept as it is, with no keyword.

use super::findings::secrets;

/// The instructions a Dockerfile has, upper case.
const KEYWORDS: &[&str] = &[
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// One layer's instruction, normalised.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Instruction {
    /// `RUN`, `COPY`, `ENV`...; empty when the record is not a Dockerfile instruction.
    pub keyword: &'static str,
    /// The arguments, on one line (runs of white space, newlines included, as one space).
    pub args: String,
    /// The build args a RUN was recorded with (`|N K=V ...`), values masked where they
    /// look secret.
    pub build_args: Vec<(String, String)>,
}

/// A COPY or ADD, as [`Instruction::copy`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copy<'a> {
    /// `ADD` rather than `COPY`.
    pub add: bool,
    /// The `--from=` stage or image, if any.
    pub from: Option<&'a str>,
    /// The sources, as recorded (`dir:<sha>`, `file:<sha>`, `.`, `src/`, a URL).
    pub sources: Vec<&'a str>,
    /// The destination, as recorded (relative to the WORKDIR when it does not start
    /// with `/`).
    pub dest: &'a str,
}

impl Instruction {
    /// Normalises a history record's `created_by`.
    pub fn parse(created_by: &str) -> Instruction {
        let s = created_by.trim();
        let s = s.strip_suffix("# buildkit").map_or(s, str::trim_end);
        // Classic, buildah and podman: `/bin/sh -c #(nop) KEYWORD ...` for what runs no
        // command.
        if let Some(rest) = s.strip_prefix("/bin/sh -c #(nop)") {
            return Instruction::keyworded(rest.trim())
                .unwrap_or_else(|| Instruction::other(rest.trim()));
        }
        // A RUN with its build args, or a plain shell command: classic and buildah.
        if s.starts_with('|') || shell_prefix(s).is_some() {
            return Instruction::run(s);
        }
        // BuildKit and kaniko: the keyword as written.
        Instruction::keyworded(s).unwrap_or_else(|| Instruction::other(s))
    }

    /// `KEYWORD args`, when `s` starts with a keyword.
    fn keyworded(s: &str) -> Option<Instruction> {
        let (word, rest) = s.split_once(char::is_whitespace).unwrap_or((s, ""));
        let keyword = KEYWORDS.iter().find(|k| k.eq_ignore_ascii_case(word))?;
        if *keyword == "RUN" {
            return Some(Instruction::run(rest.trim()));
        }
        let args = one_line(rest);
        let args = match *keyword {
            "COPY" | "ADD" => classic_copy(&args).unwrap_or(args),
            "ENV" | "ARG" => mask_assignments(&args),
            _ => args,
        };
        Some(Instruction {
            keyword,
            args,
            build_args: Vec::new(),
        })
    }

    /// A RUN: `|N K=V ... ` build args, then the shell and `-c`, then the command.
    fn run(s: &str) -> Instruction {
        let mut rest = s.trim();
        let mut build_args = Vec::new();
        if let Some(counted) = rest.strip_prefix('|') {
            let (n, after) = counted.split_once(' ').unwrap_or((counted, ""));
            let n: usize = n.parse().unwrap_or(0);
            rest = after.trim_start();
            for _ in 0..n {
                let (word, after) = rest.split_once(' ').unwrap_or((rest, ""));
                let Some((k, v)) = word.split_once('=') else {
                    break;
                };
                build_args.push((k.to_string(), masked_value(k, v)));
                rest = after.trim_start();
            }
        }
        if let Some(cmd) = shell_prefix(rest) {
            rest = cmd;
        }
        Instruction {
            keyword: "RUN",
            args: one_line(rest),
            build_args,
        }
    }

    /// A record that is no Dockerfile instruction, kept as it is.
    fn other(s: &str) -> Instruction {
        Instruction {
            keyword: "",
            args: one_line(s),
            build_args: Vec::new(),
        }
    }

    /// The instruction on one line, as a Dockerfile writes it.
    pub fn text(&self) -> String {
        match (self.keyword, self.args.is_empty()) {
            ("", _) => self.args.clone(),
            (k, true) => k.to_string(),
            (k, false) => format!("{k} {}", self.args),
        }
    }

    /// [`Instruction::text`] in at most `width` characters: the middle of the arguments is
    /// cut (`…`), so the keyword, the first words and the end stay readable.
    pub fn shortened(&self, width: usize) -> String {
        cut_middle(&self.text(), width)
    }

    /// The sources and destination of a COPY or ADD.
    pub fn copy(&self) -> Option<Copy<'_>> {
        let add = match self.keyword {
            "COPY" => false,
            "ADD" => true,
            _ => return None,
        };
        let mut from = None;
        let mut words: Vec<&str> = Vec::new();
        for w in self.args.split(' ').filter(|w| !w.is_empty()) {
            if let Some(f) = w.strip_prefix("--from=") {
                from = Some(f);
            } else if !(w.starts_with("--") && words.is_empty()) {
                words.push(w);
            }
        }
        let dest = words.pop()?;
        Some(Copy {
            add,
            from,
            sources: words,
            dest,
        })
    }
}

/// The command after a shell and its `-c` (`/bin/sh -c `, `/bin/bash -o pipefail -c `),
/// when `s` starts with one.
fn shell_prefix(s: &str) -> Option<&str> {
    let (shell, mut rest) = s.split_once(' ')?;
    let name = shell.rsplit('/').next().unwrap_or(shell);
    if !matches!(name, "sh" | "bash" | "ash" | "dash" | "zsh") {
        return None;
    }
    // Options up to `-c`: `-e`, `-o pipefail`, `-x`.
    loop {
        let (w, after) = rest.split_once(' ').unwrap_or((rest, ""));
        if w == "-c" {
            return Some(after.trim_start());
        }
        if !w.starts_with('-') && !matches!(w, "pipefail" | "errexit" | "nounset") {
            return None;
        }
        if after.is_empty() {
            return None;
        }
        rest = after.trim_start();
    }
}

/// White space runs (newlines of a heredoc or a `\` continuation included) as one space.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The classic builder's `dir:<sha256> in /app` as `dir:<first 12 hex> /app`, the way
/// `docker history` shortens ids; anything else unchanged (`None`).
fn classic_copy(args: &str) -> Option<String> {
    let (src, dest) = args.rsplit_once(" in ")?;
    let short = |w: &str| -> String {
        match w.split_once(':') {
            Some((kind, sha))
                if matches!(kind, "dir" | "file" | "multi")
                    && sha.len() > 12
                    && sha.bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                format!("{kind}:{}", sha.get(..12).unwrap_or(sha))
            }
            _ => w.to_string(),
        }
    };
    let sources: Vec<String> = src
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(short)
        .collect();
    Some(format!("{} {}", sources.join(" "), dest.trim()))
}

/// `K=V K2=V2` (or `K V`) with the values of secret-looking names or values masked.
fn mask_assignments(args: &str) -> String {
    if !args.contains('=') {
        // The old `ENV NAME value` form: one name, the rest its value.
        return match args.split_once(' ') {
            Some((k, v)) => format!("{k} {}", masked_value(k, v)),
            None => args.to_string(),
        };
    }
    args.split(' ')
        .map(|w| match w.split_once('=') {
            Some((k, v)) => format!("{k}={}", masked_value(k, v)),
            None => w.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `value` as shown: masked when the name says it is a secret and the value could be
/// one, or when the value has a secret's shape.
fn masked_value(name: &str, value: &str) -> String {
    let bare = value.trim_matches('"');
    let secret = (secrets::is_secret_name(name) && secrets::plausible_value(bare.as_bytes()))
        || !secrets::scan(bare.as_bytes(), 1).is_empty();
    if secret {
        secrets::mask(bare.as_bytes())
    } else {
        value.to_string()
    }
}

/// `s` in at most `width` characters, its middle replaced by `…`: about two thirds of
/// the room for the start, the rest for the end.
pub fn cut_middle(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n <= width {
        return s.to_string();
    }
    if width <= 1 {
        return "…".chars().take(width).collect();
    }
    let room = width - 1;
    let head = room.div_ceil(3) * 2;
    let head = head.min(room);
    let tail = room - head;
    let start: String = s.chars().take(head).collect();
    let end: String = s.chars().skip(n - tail).collect();
    format!("{start}…{end}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(created_by: &str) -> String {
        Instruction::parse(created_by).text()
    }

    /// Every builder we have archives from, as the fixtures record it.
    #[test]
    fn normalises_every_builder() {
        // Classic builder (docker < 23, `DOCKER_BUILDKIT=0`), buildah and podman.
        assert_eq!(
            text(
                "/bin/sh -c #(nop) ADD file:ce026b62356eec3ad1214f92be2c9dc063fe205bd5e600be3492c4dfb17148bd in / "
            ),
            "ADD file:ce026b62356e /"
        );
        assert_eq!(
            text(
                "/bin/sh -c #(nop) COPY dir:dfd27d4dcea089e780db54c541490931b76b7566a9de7998df4fffa1d33469d2 in . "
            ),
            "COPY dir:dfd27d4dcea0 ."
        );
        assert_eq!(text("/bin/sh -c #(nop)  CMD [\"bash\"]"), "CMD [\"bash\"]");
        assert_eq!(text("/bin/sh -c #(nop) WORKDIR /app"), "WORKDIR /app");
        assert_eq!(
            text("/bin/sh -c apt-get update && apt-get install -y python3"),
            "RUN apt-get update && apt-get install -y python3"
        );
        let i = Instruction::parse("|1 PIP_CERT=/mnt/ca.pem /bin/sh -c python3 -m venv /opt/venv");
        assert_eq!(i.text(), "RUN python3 -m venv /opt/venv");
        assert_eq!(
            i.build_args,
            vec![("PIP_CERT".to_string(), "/mnt/ca.pem".to_string())]
        );
        // BuildKit (docker 23+).
        assert_eq!(text("COPY hello / # buildkit"), "COPY hello /");
        assert_eq!(
            text("RUN /bin/sh -c apt-get update # buildkit"),
            "RUN apt-get update"
        );
        let i = Instruction::parse("RUN |2 A=1 B=two /bin/sh -c make all # buildkit");
        assert_eq!(i.text(), "RUN make all");
        assert_eq!(i.build_args.len(), 2);
        assert_eq!(
            text("RUN /bin/bash -o pipefail -c curl -fsS x | sh # buildkit"),
            "RUN curl -fsS x | sh"
        );
        assert_eq!(
            text("ENV PATH=/opt/venv/bin:/usr/bin"),
            "ENV PATH=/opt/venv/bin:/usr/bin"
        );
        // kaniko.
        assert_eq!(
            text("RUN mkdir -p /root/example/really/nested"),
            "RUN mkdir -p /root/example/really/nested"
        );
        assert_eq!(
            text("ADD .scripts/ /root/.data/"),
            "ADD .scripts/ /root/.data/"
        );
        // Not an instruction: kept.
        assert_eq!(
            text("debootstrap --variant=minbase bookworm (slimmed)"),
            "debootstrap --variant=minbase bookworm (slimmed)"
        );
        // Exec form recorded after the shell, as the classic builder does.
        assert_eq!(
            text("/bin/sh -c [\"/bin/busybox\", \"ln\"]"),
            "RUN [\"/bin/busybox\", \"ln\"]"
        );
    }

    /// A secret in a build arg or an ENV is never shown.
    #[test]
    fn masks_secret_values() {
        let i = Instruction::parse(
            "|2 GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789 MODE=prod /bin/sh -c make",
        );
        let (k, v) = &i.build_args[0];
        assert_eq!(k, "GITHUB_TOKEN");
        assert!(!v.contains("abcdefghijklmnop"), "{v}");
        assert_eq!(i.build_args[1], ("MODE".to_string(), "prod".to_string()));
        let t = text("/bin/sh -c #(nop) ENV API_KEY=sk_live_abcdefghij0123456789 DEBUG=0");
        assert!(!t.contains("abcdefghij0123456789"), "{t}");
        assert!(
            t.starts_with("ENV API_KEY=") && t.ends_with(" DEBUG=0"),
            "{t}"
        );
    }

    #[test]
    fn copies() {
        let i = Instruction::parse(
            "COPY --from=build --chown=1000 /out/app /usr/local/bin/ # buildkit",
        );
        let c = i.copy().expect("a copy");
        assert_eq!(c.from, Some("build"));
        assert_eq!(c.sources, vec!["/out/app"]);
        assert_eq!(c.dest, "/usr/local/bin/");
        let i = Instruction::parse(
            "/bin/sh -c #(nop) COPY dir:611cb29443e2b28bfeb036c8bfb8420b228b6448a93d4bb58aabc89eac6d458a in /app ",
        );
        let c = i.copy().expect("a copy");
        assert_eq!((c.from, c.dest, c.add), (None, "/app", false));
        assert!(Instruction::parse("RUN ls").copy().is_none());
    }

    /// Narrow columns cut the middle, never the keyword and first words.
    #[test]
    fn cuts_the_middle() {
        let i = Instruction::parse(
            "|1 PIP_CERT=/mnt/ca.pem /bin/sh -c python3 -m venv /opt/venv && /opt/venv/bin/pip install -r requirements.txt",
        );
        let s = i.shortened(40);
        assert_eq!(s.chars().count(), 40, "{s}");
        assert!(s.starts_with("RUN python3 -m venv"), "{s}");
        assert_eq!(s, "RUN python3 -m venv /opt/v…uirements.txt");
        assert_eq!(cut_middle("short", 40), "short");
    }
}
