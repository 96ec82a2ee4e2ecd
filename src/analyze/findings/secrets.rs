//! Secrets in text: tokens with a known shape, private-key headers, passwords in URLs and
//! secret-looking assignments. A hit keeps its kind, its line and a masked prefix: a
//! secret's value never leaves this module.

/// One secret found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// What it is, e.g. `github_token`.
    pub kind: &'static str,
    /// 1-based line.
    pub line: u32,
    /// The first characters and the length, e.g. `ghp_…(40 chars)`.
    pub masked: String,
}

/// Token shapes: a literal prefix, the characters that may follow, and how many at least.
struct Shape {
    kind: &'static str,
    prefix: &'static [u8],
    body: fn(u8) -> bool,
    min: usize,
    max: usize,
}

fn alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}
fn upper_digit(b: u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit()
}
fn url_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}
fn slack(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// The token shapes, one entry each (a new shape is one line).
const SHAPES: &[Shape] = &[
    Shape {
        kind: "aws_access_key_id",
        prefix: b"AKIA",
        body: upper_digit,
        min: 16,
        max: 16,
    },
    Shape {
        kind: "aws_access_key_id",
        prefix: b"ASIA",
        body: upper_digit,
        min: 16,
        max: 16,
    },
    Shape {
        kind: "github_token",
        prefix: b"ghp_",
        body: alnum,
        min: 36,
        max: 255,
    },
    Shape {
        kind: "github_token",
        prefix: b"gho_",
        body: alnum,
        min: 36,
        max: 255,
    },
    Shape {
        kind: "github_token",
        prefix: b"ghs_",
        body: alnum,
        min: 36,
        max: 255,
    },
    Shape {
        kind: "github_token",
        prefix: b"ghu_",
        body: alnum,
        min: 36,
        max: 255,
    },
    Shape {
        kind: "github_token",
        prefix: b"github_pat_",
        body: url_safe,
        min: 22,
        max: 255,
    },
    Shape {
        kind: "stripe_key",
        prefix: b"sk_live_",
        body: alnum,
        min: 10,
        max: 255,
    },
    Shape {
        kind: "stripe_key",
        prefix: b"sk_test_",
        body: alnum,
        min: 10,
        max: 255,
    },
    Shape {
        kind: "stripe_key",
        prefix: b"rk_live_",
        body: alnum,
        min: 10,
        max: 255,
    },
    Shape {
        kind: "slack_token",
        prefix: b"xoxb-",
        body: slack,
        min: 10,
        max: 255,
    },
    Shape {
        kind: "slack_token",
        prefix: b"xoxp-",
        body: slack,
        min: 10,
        max: 255,
    },
    Shape {
        kind: "slack_token",
        prefix: b"xoxa-",
        body: slack,
        min: 10,
        max: 255,
    },
    Shape {
        kind: "slack_webhook",
        prefix: b"hooks.slack.com/services/",
        body: |b| url_safe(b) || b == b'/',
        min: 20,
        max: 255,
    },
    Shape {
        kind: "google_api_key",
        prefix: b"AIza",
        body: url_safe,
        min: 35,
        max: 35,
    },
    Shape {
        kind: "npm_token",
        prefix: b"npm_",
        body: alnum,
        min: 36,
        max: 36,
    },
    Shape {
        kind: "pypi_token",
        prefix: b"pypi-",
        body: url_safe,
        min: 50,
        max: 512,
    },
];

/// Names whose value is a secret, matched case-insensitively anywhere in the name, with
/// `-` and `.` read as `_` (`DB_PASSWORD`, `adminpassword`, `apiKey`, `x-api-key`).
const SECRET_PARTS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "API_KEY",
    "APIKEY",
    "ACCESS_KEY",
    "ACCESSKEY",
    "PRIVATE_KEY",
    "PRIVATEKEY",
    "CREDENTIAL",
];

/// True when `name` (an env var, a build arg, a config key) names a secret.
///
/// Words that are also the start of harmless ones are matched as whole words only, after
/// splitting the name at `_`, `-`, `.` and camelCase: `TOKEN` (`HF_TOKEN`, `authToken`,
/// `GITHUBTOKEN`, but not `tokenizer` or `max_tokens`), `AUTH` (`auth`, `AUTH_KEY`, but
/// not `authors`) and `DSN`.
pub fn is_secret_name(name: &str) -> bool {
    let up = name.trim().to_ascii_uppercase().replace(['-', '.'], "_");
    if SECRET_PARTS.iter().any(|s| up.contains(s)) {
        return true;
    }
    words(name.trim()).iter().any(|w| {
        w.ends_with("TOKEN") || matches!(w.as_str(), "AUTH" | "AUTHKEY" | "AUTHORIZATION" | "DSN")
    })
}

/// The words of a name, upper-cased: split at anything not alphanumeric and where a
/// lower-case letter or digit is followed by an upper-case one.
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        word.push(c.to_ascii_uppercase());
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// Masks a secret: a short prefix and the length, never the value.
pub fn mask(value: &[u8]) -> String {
    let keep = if value.len() >= 16 { 4 } else { 0 };
    let prefix = String::from_utf8_lossy(value.get(..keep).unwrap_or_default()).into_owned();
    format!("{prefix}…({} chars)", value.len())
}

/// Literals of which every line that [`scan_line`] reports holds at least one, matched
/// ignoring ASCII case: a private-key header, the token prefixes, a JWT's `eyJ`, a URL's
/// `://`, and the parts of every name [`is_secret_name`] accepts (`-` and `.` spelt out,
/// since the name is matched with them read as `_`). Ignoring case makes the set a
/// superset of what the exact checks need, which is all a prefilter must be.
fn needles() -> Vec<&'static [u8]> {
    let mut n: Vec<&'static [u8]> = vec![
        b"-----BEGIN ",
        b"eyJ",
        b"://",
        b"PASSWORD",
        b"PASSWD",
        b"SECRET",
        b"APIKEY",
        b"ACCESSKEY",
        b"PRIVATEKEY",
        b"CREDENTIAL",
        b"TOKEN",
        b"AUTH",
        b"DSN",
    ];
    for sep in [&b"API_KEY"[..], b"API-KEY", b"API.KEY"] {
        n.push(sep);
    }
    for sep in [
        &b"ACCESS_KEY"[..],
        b"ACCESS-KEY",
        b"ACCESS.KEY",
        b"PRIVATE_KEY",
        b"PRIVATE-KEY",
        b"PRIVATE.KEY",
    ] {
        n.push(sep);
    }
    n.extend(SHAPES.iter().map(|s| s.prefix));
    n
}

/// The prefilter over [`needles`], lower-cased, searched for in lower-cased text: a
/// packed SIMD search (aho-corasick's Teddy) for the needles of four bytes or more, and
/// `memmem` for the three three-byte ones (`eyj`, `://`, `dsn`), instead of some twenty
/// byte-by-byte searches per line. Why split: Teddy compares the first `min(4, shortest)`
/// bytes of every needle at once, and with three-byte needles among 39 its buckets
/// accept most of English text, so every few bytes a candidate had to be verified. On
/// 200 MB of the ML benchmark's dataset prose (Intel Xeon, load 10-15), one
/// aho-corasick DFA over all needles (what this replaced) took 1.08 s, Teddy over all of
/// them 0.64 s, Teddy over the 36 long ones plus three `memmem` passes 0.45 s.
/// (aho-corasick's own ASCII case insensitivity turns Teddy off; folding the text first
/// costs 0.05 s per 200 MB.) `None` if it could not be built (it can: a few dozen short
/// literals are far below every limit), and then every line is looked at.
struct Prefilter {
    long: aho_corasick::packed::Searcher,
    short: Vec<memchr::memmem::Finder<'static>>,
}

impl Prefilter {
    /// The start of the first needle in `folded[from..]`. `next` remembers, per short
    /// needle, where its next match is (`None`: not searched yet; `usize::MAX`: none
    /// left), so each is searched for once per file, not once per line.
    fn find(&self, folded: &[u8], from: usize, next: &mut [Option<usize>]) -> Option<usize> {
        let rest = folded.get(from..)?;
        let mut first = self.long.find(rest).map(|m| from + m.start());
        for (finder, cached) in self.short.iter().zip(next.iter_mut()) {
            let at = match *cached {
                Some(p) if p >= from => p,
                _ => {
                    let p = finder.find(rest).map_or(usize::MAX, |p| from + p);
                    *cached = Some(p);
                    p
                }
            };
            if at != usize::MAX {
                first = Some(first.map_or(at, |f| f.min(at)));
            }
        }
        first
    }

    /// The per-file state [`Prefilter::find`] keeps: no short needle searched yet.
    fn fresh(&self) -> Vec<Option<usize>> {
        vec![None; self.short.len()]
    }
}

fn prefilter() -> Option<&'static Prefilter> {
    static PRE: std::sync::OnceLock<Option<Prefilter>> = std::sync::OnceLock::new();
    PRE.get_or_init(|| {
        let folded: Vec<Vec<u8>> = needles().iter().map(|n| n.to_ascii_lowercase()).collect();
        let (long, short): (Vec<Vec<u8>>, Vec<Vec<u8>>) =
            folded.into_iter().partition(|n| n.len() >= 4);
        Some(Prefilter {
            long: aho_corasick::packed::Searcher::new(long.iter())?,
            short: short
                .iter()
                .map(|n| memchr::memmem::Finder::new(n).into_owned())
                .collect(),
        })
    })
    .as_ref()
}

/// The secrets in `text`, at most `limit` of them.
///
/// Only the lines the prefilter points at are looked at closely: the others hold none of
/// the literals every kind of hit needs, so they could yield nothing. The hits are the
/// same, in the same order, as looking at every line.
pub fn scan(text: &[u8], limit: usize) -> Vec<Hit> {
    let Some(pre) = prefilter() else {
        return scan_every_line(text, limit);
    };
    thread_local! {
        /// The text lower-cased, reused from one file to the next.
        static FOLDED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    FOLDED.with(|folded| {
        let mut folded = folded.borrow_mut();
        folded.clear();
        folded.extend(text.iter().map(u8::to_ascii_lowercase));
        scan_lines_at(text, &folded, pre, limit)
    })
}

/// [`scan`] of `text`, whose lower-cased copy `folded` the prefilter searches: byte `i`
/// of one is byte `i` of the other, so are the lines.
fn scan_lines_at(text: &[u8], folded: &[u8], pre: &Prefilter, limit: usize) -> Vec<Hit> {
    let mut hits = Vec::new();
    let mut next = pre.fresh();
    // Where the next line to look for starts, and its 1-based number.
    let (mut from, mut line_no) = (0usize, 1u32);
    while hits.len() < limit && from <= text.len() {
        let Some(at) = pre.find(folded, from, &mut next) else {
            break;
        };
        let start = memchr::memrchr(b'\n', text.get(from..at).unwrap_or_default())
            .map_or(from, |p| from + p + 1);
        let end = memchr::memchr(b'\n', text.get(at..).unwrap_or_default())
            .map_or(text.len(), |p| at + p);
        line_no +=
            memchr::memchr_iter(b'\n', text.get(from..start).unwrap_or_default()).count() as u32;
        scan_line(text.get(start..end).unwrap_or_default(), line_no, &mut hits);
        from = end + 1;
        line_no += 1;
    }
    hits.truncate(limit);
    hits
}

/// The secrets in `text` by looking at every line: what [`scan`] must equal.
fn scan_every_line(text: &[u8], limit: usize) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (n, line) in text.split(|&b| b == b'\n').enumerate() {
        if hits.len() >= limit {
            break;
        }
        scan_line(line, n as u32 + 1, &mut hits);
    }
    hits.truncate(limit);
    hits
}

fn scan_line(line: &[u8], n: u32, hits: &mut Vec<Hit>) {
    if let Some(pos) = find(line, b"-----BEGIN ")
        && let Some(rest) = line.get(pos..)
        && find(rest, b"PRIVATE KEY-----").is_some()
    {
        hits.push(Hit {
            kind: "private_key",
            line: n,
            masked: "-----BEGIN … PRIVATE KEY-----".to_string(),
        });
        return;
    }
    let before = hits.len();
    for shape in SHAPES {
        let mut from = 0;
        while let Some(rel) = line.get(from..).and_then(|l| find(l, shape.prefix)) {
            let start = from + rel;
            let body_start = start + shape.prefix.len();
            let body_len = line
                .get(body_start..)
                .unwrap_or_default()
                .iter()
                .take_while(|&&b| (shape.body)(b))
                .count();
            let boundary_ok = start == 0
                || line
                    .get(start - 1)
                    .is_none_or(|&b| !b.is_ascii_alphanumeric());
            if boundary_ok && body_len >= shape.min && body_len <= shape.max {
                let token = line.get(start..body_start + body_len).unwrap_or_default();
                hits.push(Hit {
                    kind: shape.kind,
                    line: n,
                    masked: mask(token),
                });
            }
            from = body_start + body_len.max(1);
        }
    }
    if let Some(jwt) = find_jwt(line) {
        hits.push(Hit {
            kind: "jwt",
            line: n,
            masked: mask(jwt),
        });
    }
    if let Some(pw) = url_password(line) {
        hits.push(Hit {
            kind: "password_in_url",
            line: n,
            masked: mask(pw),
        });
    }
    if hits.len() == before
        && let Some((name, value)) = assignment(line)
        && is_secret_name(name)
        && plausible_value(value)
    {
        hits.push(Hit {
            kind: "secret_assignment",
            line: n,
            masked: mask(value),
        });
    }
}

/// `NAME=value`, `NAME: value`, `export NAME="value"`: the name and the unquoted value.
fn assignment(line: &[u8]) -> Option<(&str, &[u8])> {
    let text = std::str::from_utf8(line).ok()?.trim();
    let text = text.strip_prefix("export ").unwrap_or(text);
    if text.starts_with('#') {
        return None;
    }
    let pos = text.find(['=', ':'])?;
    let name = text.get(..pos)?.trim().trim_matches('"');
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
    {
        return None;
    }
    let value = text
        .get(pos + 1..)?
        .trim()
        .trim_matches(|c| c == '"' || c == '\'' || c == ',');
    Some((name, value.as_bytes()))
}

/// A value that could be a secret: not empty, not a placeholder, not a reference.
pub fn plausible_value(v: &[u8]) -> bool {
    if v.len() < 6 || v.starts_with(b"$") || v.starts_with(b"/") || v.starts_with(b"<") {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    !(lower.starts_with(b"changeme")
        || lower == b"password"
        || lower.starts_with(b"your")
        || lower == b"none"
        || lower == b"null"
        || lower == b"true"
        || lower == b"false"
        || lower.starts_with(b"xxx"))
}

/// `scheme://user:password@host`: the password.
fn url_password(line: &[u8]) -> Option<&[u8]> {
    let s = find(line, b"://")? + 3;
    let rest = line.get(s..)?;
    let end = rest
        .iter()
        .position(|&b| b == b'/' || b.is_ascii_whitespace() || b == b'"' || b == b'\'')
        .unwrap_or(rest.len());
    let authority = rest.get(..end)?;
    let at = authority.iter().rposition(|&b| b == b'@')?;
    let userinfo = authority.get(..at)?;
    let colon = userinfo.iter().position(|&b| b == b':')?;
    let pw = userinfo.get(colon + 1..)?;
    (pw.len() >= 3 && !pw.starts_with(b"$")).then_some(pw)
}

/// A JSON web token: three base64url parts, the first two starting `eyJ`.
fn find_jwt(line: &[u8]) -> Option<&[u8]> {
    let start = find(line, b"eyJ")?;
    let rest = line.get(start..)?;
    let len = rest
        .iter()
        .take_while(|&&b| url_safe(b) || b == b'.')
        .count();
    let tok = rest.get(..len)?;
    let parts: Vec<&[u8]> = tok.split(|&b| b == b'.').collect();
    (parts.len() == 3
        && parts.get(1).is_some_and(|p| p.starts_with(b"eyJ"))
        && parts.iter().all(|p| p.len() >= 10))
    .then_some(tok)
}

/// The first position of `needle` in `hay` (none for an empty needle).
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    memchr::memmem::find(hay, needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_shapes_and_masks_them() {
        let text = b"STRIPE_SECRET_KEY=sk_test_51FakeFixtureKey0000\nGITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789\nDATABASE_URL=postgresql://u:not-a-real-password@db:5432/x\n# comment=1\nPLAIN=hello\n";
        let hits = scan(text, 10);
        let kinds: Vec<&str> = hits.iter().map(|h| h.kind).collect();
        assert_eq!(kinds, ["stripe_key", "github_token", "password_in_url"]);
        assert_eq!(hits[1].masked, "ghp_…(40 chars)");
        assert!(hits.iter().all(|h| !h.masked.contains("abcdefgh")));
    }

    #[test]
    fn secret_names_are_matched_by_word_where_a_substring_would_mislead() {
        for name in [
            "DB_PASSWORD",
            "adminpassword",
            "client_secret",
            "AWS_SECRET_ACCESS_KEY",
            "apiKey",
            "x-api-key",
            "HF_TOKEN",
            "GITHUBTOKEN",
            "authToken",
            "access_token",
            "OAUTH_TOKEN",
            "auth",
            "AUTH_KEY",
            "Authorization",
            "SENTRY_DSN",
            "dsn",
            "gcp_credentials",
        ] {
            assert!(is_secret_name(name), "{name} names a secret");
        }
        // Cargo.toml's `authors`, a model's tokenizer, generation settings.
        for name in [
            "authors",
            "author",
            "AUTHORITY",
            "tokenizer",
            "tokenizer_name",
            "TOKENIZERS_PARALLELISM",
            "max_new_tokens",
            "tokens",
            "description",
        ] {
            assert!(!is_secret_name(name), "{name} does not name a secret");
        }
    }

    #[test]
    fn a_crate_manifest_and_a_model_config_hold_no_secrets() {
        let cargo = b"[package]\nname = \"ahash\"\nauthors = [\"Tom Kaitchuck <tom.kaitchuck@gmail.com>\"]\n";
        assert!(scan(cargo, 5).is_empty());
        let model =
            b"{\n  \"tokenizer_class\": \"BertTokenizerFast\",\n  \"max_new_tokens\": 1000000\n}\n";
        assert!(scan(model, 5).is_empty());
        assert_eq!(
            scan(b"HF_TOKEN=hf_FakeFixtureTokenValue0000\n", 5)[0].kind,
            "secret_assignment"
        );
    }

    #[test]
    fn the_prefiltered_scan_finds_what_looking_at_every_line_finds() {
        // Every kind of hit, on first, middle and last lines, with and without a final
        // newline, several to a line, near the limit; and lines that hold a needle but no
        // secret (`token` in prose, a URL without a password).
        let lines: &[&[u8]] = &[
            b"STRIPE_SECRET_KEY=sk_test_51FakeFixtureKey0000",
            b"plain text about tokens and authors",
            b"GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789 and AKIAIOSFODNN7EXAMPLE",
            b"see https://example.com/docs for the auth flow",
            b"DATABASE_URL=postgresql://u:not-a-real-password@db:5432/x",
            b"-----BEGIN RSA PRIVATE KEY-----",
            b"MIIEowIBAAKCAQEA",
            b"jwt: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.abcdefghijklmnop",
            b"export DB_PASSWORD=\"hunter2hunter2\"",
            b"x-api-key: Wq9d8Zr5Tb2Lm7Kx4Vn1",
            b"pAsSwOrD=Wq9d8Zr5Tb2Lm and clientSecret: Kx4Vn1Pc6Hy3",
            b"",
            b"nothing here at all",
            b"SENTRY_DSN=https://abc:def@sentry.io/1",
            b"hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX",
        ];
        let mut texts: Vec<Vec<u8>> = Vec::new();
        for rot in 0..lines.len() {
            for newline_at_end in [false, true] {
                let mut t = lines[rot..].join(&b"\n"[..]);
                t.push(b'\n');
                t.extend(lines[..rot].join(&b"\n"[..]));
                if newline_at_end {
                    t.push(b'\n');
                }
                texts.push(t);
            }
        }
        texts.push(Vec::new());
        texts.push(b"\n\n\n".to_vec());
        texts.push(b"AKIAIOSFODNN7EXAMPLE".to_vec());
        for text in &texts {
            for limit in [0, 1, 2, 5, 100] {
                assert_eq!(
                    scan(text, limit),
                    scan_every_line(text, limit),
                    "text {:?}, limit {limit}",
                    String::from_utf8_lossy(text)
                );
            }
        }
        // The rotations put hits on many lines: the equality above is not between empties.
        assert!(scan(&texts[1], 100).len() >= 9);
    }

    #[test]
    fn a_line_without_any_needle_yields_nothing() {
        // The prefilter's premise, checked against the exact checks: lines made of the
        // characters tokens are made of, but none of the needles, hold no secret.
        let alphabet = b"abcfhimqrvwxyBCFGHIJLMQVWXY0123456789_=:-. ";
        let noise: Vec<u8> = (0..20_000usize)
            .map(|i| alphabet[i * 7919 % alphabet.len()])
            .collect();
        let text: Vec<u8> = noise
            .chunks(97)
            .flat_map(|c| c.iter().copied().chain([b'\n']))
            .collect();
        let folded = text.to_ascii_lowercase();
        assert!(prefilter().is_some_and(|pre| pre.find(&folded, 0, &mut pre.fresh()).is_none()));
        assert!(scan_every_line(&text, 100).is_empty());
    }

    #[test]
    fn certificates_are_not_keys() {
        assert!(
            scan(
                b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
                5
            )
            .is_empty()
        );
        assert_eq!(
            scan(b"-----BEGIN OPENSSH PRIVATE KEY-----\n", 5)[0].kind,
            "private_key"
        );
    }
}
