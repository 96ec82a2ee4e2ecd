//! The command line, as clap types only. Nothing here does work: `cmd` turns these into
//! library options and runs the pipeline.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
IMAGE is a saved image: a `docker save` / `podman save` archive, an OCI image layout (tar or
folder), a skopeo dir: folder, whole-archive gzip/zstd included; `-` reads standard input.
It may also be where the image lives, with the transports of containers-transports(5):
docker://HOST/REPO[:TAG|@DIGEST] (a registry), docker-daemon:NAME[:TAG] (DOCKER_HOST, else
/var/run/docker.sock), podman:NAME[:TAG] (CONTAINER_HOST, else Podman's socket), and the
prefixes docker-archive:PATH, oci-archive:PATH[:REF], oci:DIR[:REF], dir:DIR. A bare name
that is no file is looked up in a local daemon, never pulled from a registry.
`deadweight IMAGE` is short for `deadweight inspect IMAGE`.

Exit codes: 0 ok · 1 a gate or budget failed · 2 deadweight could not do its job (bad input,
bad arguments); errors are one line on stderr naming the file, member or layer.";

/// Where did a container image's bytes go, which of them are dead weight, and did this
/// change make it heavier?
#[derive(Debug, Parser)]
#[command(name = "deadweight", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Where an image's bytes are: layers, hidden bytes by cause, duplicates, largest files.
    Inspect(InspectArgs),
    /// What changed between two images: totals, layers, dead weight, findings, directories,
    /// files and packages; either side may be a saved image or a JSON report.
    Diff(DiffArgs),
    /// Gate CI on size budgets: exit 1 when an error-level rule fails (see "CI
    /// integration" in the README).
    Check(Box<CheckArgs>),
    /// Write a starter deadweight.toml from an image: today's sizes plus a margin.
    Init(InitArgs),
    /// Walk an image's layers and file tree in the terminal, with hidden bytes,
    /// duplicates and findings marked (keys: `?`).
    Explore(ExploreArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per subcommand with --out DIR.
    Man(ManArgs),
    /// Print the JSON Schema (draft 2020-12) of a document deadweight writes or reads.
    Schema(SchemaArgs),
}

/// `deadweight completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `deadweight man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write deadweight.1 and one deadweight-COMMAND.1 per subcommand into DIR instead of
    /// printing one page with every subcommand.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// The documents `deadweight schema` describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaArg {
    /// `inspect --format json` (also a baseline file).
    Inspect,
    /// `diff --format json`.
    Diff,
    /// `check --format json`.
    Check,
    /// deadweight.toml (for editors: Taplo, Even Better TOML).
    Config,
}

/// `deadweight schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which document.
    #[arg(value_enum)]
    pub document: SchemaArg,
}

/// `deadweight explore`.
#[derive(Debug, Args)]
pub struct ExploreArgs {
    /// The image to read (`-`: standard input; keys are then read from the terminal).
    #[command(flatten)]
    pub input: InputArgs,
    /// The base image (a saved image or a JSON report of one): its layers are told apart
    /// from yours.
    #[arg(long, value_name = "BASE")]
    pub base: Option<String>,
    /// The config file (`[findings]` rules and ignores); default `./deadweight.toml` if
    /// present.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Colours: auto (unless `NO_COLOR` is set), always or never. Changes are also
    /// marked by letters.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto, value_name = "WHEN")]
    pub color: ColorArg,
}

/// How to read an image.
#[derive(Debug, Args, Clone)]
pub struct InputArgs {
    /// The saved image (file, folder, or `-` for standard input).
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// Which image of an archive that holds several (tag, name or digest).
    #[arg(long = "image", value_name = "REF")]
    pub select: Option<String>,
    /// Which platform of a multi-platform index (os/arch[/variant]; default: this host's,
    /// else the first).
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// Treat warnings (a diff_id that does not match the config, odd entries) as errors;
    /// implies --verify.
    #[arg(long)]
    pub strict: bool,
    /// Hash every layer blob and layer tar and check them against the digests the
    /// manifest, blob names and config state (one more SHA-256 pass; by default those
    /// digests are taken as stated and only file contents are hashed).
    #[arg(long)]
    pub verify: bool,
    /// Caps on what the input may ask for.
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Registry access.
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// How to reach a registry (`docker://`), as skopeo and podman spell it.
#[derive(Debug, Args, Clone)]
pub struct RemoteArgs {
    /// Registry credentials USER[:PASSWORD] (default: from --authfile, the containers
    /// auth.json files, then Docker's config.json and its credential helpers).
    #[arg(long, value_name = "USER[:PASS]", help_heading = "Registry")]
    pub creds: Option<String>,
    /// An auth file to take registry credentials from (containers' auth.json or Docker's
    /// config.json format; default $REGISTRY_AUTH_FILE, then the usual places).
    #[arg(long, value_name = "FILE", help_heading = "Registry")]
    pub authfile: Option<PathBuf>,
    /// Verify registry TLS certificates; `--tls-verify=false` skips that and allows
    /// plain HTTP (loopback registries are reached over plain HTTP either way).
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set, help_heading = "Registry")]
    pub tls_verify: bool,
    /// The same as --tls-verify=false.
    #[arg(long, help_heading = "Registry")]
    pub insecure: bool,
    /// Trust the CA certificates (*.crt, PEM) in this folder as well as the system's, as
    /// containers-certs.d(5) lays them out.
    #[arg(long, value_name = "DIR", help_heading = "Registry")]
    pub cert_dir: Option<PathBuf>,
    /// Layers downloaded at once from a registry, at most: on two cores or more one per
    /// core, each decoded as it arrives by a worker of its own; on one core one at a time,
    /// the others at most 8 MiB ahead. Layers are still applied in order.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=64), help_heading = "Registry")]
    pub jobs: u16,
}

/// Caps that protect against hostile input, for every command that reads an image.
#[derive(Debug, Args, Clone)]
pub struct LimitArgs {
    /// Largest JSON member (manifest, config, index) buffered, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_json_bytes: u64,
    /// Most entries one layer may hold.
    #[arg(long, value_name = "N", default_value_t = 20_000_000)]
    pub max_layer_entries: u64,
    /// Most entries the whole image may hold (all layers; the index keeps about 200
    /// bytes per entry).
    #[arg(long, value_name = "N", default_value_t = 20_000_000)]
    pub max_entries: u64,
    /// Longest entry name, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024)]
    pub max_path_bytes: usize,
}

/// Output formats of `inspect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Human-readable tables.
    Table,
    /// The versioned JSON document (see README, "JSON schema").
    Json,
    /// One self-contained HTML page with a treemap (use with `--output report.html`).
    Html,
    /// GitHub-flavoured Markdown: the same sections as the table.
    Markdown,
}

/// When to colour terminal output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    /// When standard output is a terminal and `NO_COLOR` is not set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// How sizes are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BytesArg {
    /// 1.5 MB
    Human,
    /// 1536128 (exact integers, for scripts)
    Raw,
}

/// Units of human-readable sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UnitsArg {
    /// Decimal: kB, MB, GB (as `docker images`).
    Si,
    /// Binary: KiB, MiB, GiB.
    Iec,
}

/// What `inspect --sort` orders the lists by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SortArg {
    /// Bytes in the image (uncompressed).
    Size,
    /// Pull cost: the layer blobs' bytes (compressed where they are).
    Stored,
}

/// `deadweight inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The image to read.
    #[command(flatten)]
    pub input: InputArgs,
    /// For a registry image: only its manifest and config (stored size per layer, the
    /// history, the user, the platform), no layer downloaded.
    #[arg(long)]
    pub manifest_only: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,
    /// Write the report here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Rows in the lists of largest files, directories, hidden paths and duplicates.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// How deep the list of largest directories goes.
    #[arg(long, default_value_t = 3)]
    pub depth: u32,
    /// Sizes human-readable or as exact integers.
    #[arg(long, value_enum, default_value_t = BytesArg::Human)]
    pub bytes: BytesArg,
    /// Units of human-readable sizes.
    #[arg(long, value_enum, default_value_t = UnitsArg::Si)]
    pub units: UnitsArg,
    /// The base image (a saved image or a JSON report of one): its layers are told apart
    /// from yours.
    #[arg(long, value_name = "BASE")]
    pub base: Option<String>,
    /// Include every visible file (path, bytes, layer, sha256) in the JSON report.
    #[arg(long)]
    pub all_files: bool,
    /// Order the largest files, directories and each category's findings by bytes
    /// (`size`) or by pull cost (`stored`: the compressed bytes a pull downloads).
    #[arg(long, value_enum, default_value_t = SortArg::Size)]
    pub sort: SortArg,
    /// Print the final filesystem as a directory tree, biggest first (`--depth` levels,
    /// `--top` entries per directory), instead of the report.
    #[arg(long, conflicts_with_all = ["format", "suggest_dockerignore", "all_files"])]
    pub tree: bool,
    /// Colour the tree: auto (a terminal, and `NO_COLOR` unset), always or never.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto, value_name = "WHEN")]
    pub color: ColorArg,
    /// Print only the `.dockerignore` lines that keep what COPY/ADD leaked out of the
    /// image, each with the bytes it saves.
    #[arg(long, conflicts_with_all = ["format", "all_files"])]
    pub suggest_dockerignore: bool,
    /// The config file (`[findings]` rules and ignores); default `./deadweight.toml` if
    /// present.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Output formats of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormatArg {
    /// Human-readable tables.
    Table,
    /// The versioned JSON document; deltas are signed integers (after - before).
    Json,
    /// Short enough for a pull-request comment: summary, top changes, details folded.
    Markdown,
    /// A self-contained page: both totals, category deltas, the AFTER treemap with growths
    /// and shrinks marked (needs both sides' file lists: images, or reports written with
    /// `--all-files`).
    Html,
}

/// `deadweight diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The image before the change: a saved image or a JSON report of one (`inspect
    /// --format json`, with `--all-files` to compare files); `-` reads standard input.
    #[arg(value_name = "BEFORE")]
    pub before: String,
    /// The image after the change, as BEFORE (at most one side may be `-`).
    #[arg(value_name = "AFTER")]
    pub after: String,
    /// Which image of BEFORE, when its archive holds several (tag, name or digest).
    #[arg(long, value_name = "REF")]
    pub before_image: Option<String>,
    /// Which image of AFTER, when its archive holds several (tag, name or digest); BEFORE
    /// and AFTER may be the same archive.
    #[arg(long, value_name = "REF")]
    pub after_image: Option<String>,
    /// Which platform of a multi-platform index, on both sides (os/arch[/variant]).
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// Treat warnings as errors while reading an image; implies --verify.
    #[arg(long)]
    pub strict: bool,
    /// Hash and check every layer blob's digest and diff_id while reading an image.
    #[arg(long)]
    pub verify: bool,
    /// Caps on what each input may ask for.
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Registry access, for both sides.
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormatArg::Table)]
    pub format: DiffFormatArg,
    /// Write the report here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Rows in the lists of files and directories (JSON file lists too; 0 = all).
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Directory depth the file deltas roll up to.
    #[arg(long, default_value_t = 3)]
    pub depth: u32,
    /// Sizes human-readable or as exact integers.
    #[arg(long, value_enum, default_value_t = BytesArg::Human)]
    pub bytes: BytesArg,
    /// Units of human-readable sizes.
    #[arg(long, value_enum, default_value_t = UnitsArg::Si)]
    pub units: UnitsArg,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Output formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormatArg {
    /// Human-readable: each rule, then each breach with its contributors and fix.
    Table,
    /// The versioned JSON document (`passed`, `rules[]`).
    Json,
    /// JUnit XML: one test case per rule.
    Junit,
    /// SARIF 2.1.0: breaches and findings, for code scanning.
    Sarif,
    /// GitHub-flavoured Markdown (a PR comment, a job summary).
    Markdown,
}

/// Rule flags of `check`: each overrides the config's rule of the same name.
#[derive(Debug, Args, Clone, Default)]
pub struct RuleFlags {
    /// Stored size (sum of layer blobs), e.g. 300MB.
    #[arg(long, value_name = "SIZE", help_heading = "Rules")]
    pub max_blob_bytes: Option<String>,
    /// Sum of the layers' file bytes.
    #[arg(long, value_name = "SIZE", help_heading = "Rules")]
    pub max_content_bytes: Option<String>,
    /// What the final filesystem shows.
    #[arg(long, value_name = "SIZE", help_heading = "Rules")]
    pub max_visible_bytes: Option<String>,
    /// Hidden bytes, or a percent of the content bytes ("5%").
    #[arg(long, value_name = "SIZE|PCT%", help_heading = "Rules")]
    pub max_hidden_bytes: Option<String>,
    /// Duplicate bytes, or a percent of the content bytes.
    #[arg(long, value_name = "SIZE|PCT%", help_heading = "Rules")]
    pub max_duplicate_bytes: Option<String>,
    /// Dead weight (the findings' bytes), or a percent of the content bytes.
    #[arg(long, value_name = "SIZE|PCT%", help_heading = "Rules")]
    pub max_dead_weight_bytes: Option<String>,
    /// dive's lowestEfficiency, a ratio 0-1.
    #[arg(long, value_name = "RATIO", help_heading = "Rules")]
    pub min_efficiency: Option<String>,
    /// dive's highestWastedBytes.
    #[arg(long, value_name = "SIZE", help_heading = "Rules")]
    pub max_wasted_bytes: Option<String>,
    /// dive's highestUserWastedPercent, a ratio 0-1.
    #[arg(long, value_name = "RATIO", help_heading = "Rules")]
    pub max_user_wasted_percent: Option<String>,
    /// The largest layer's content bytes.
    #[arg(long, value_name = "SIZE", help_heading = "Rules")]
    pub max_layer_bytes: Option<String>,
    /// Number of layers.
    #[arg(long, value_name = "N", help_heading = "Rules")]
    pub max_layers: Option<String>,
    /// The largest layer blob as stored (what pulling that layer transfers).
    #[arg(long, value_name = "SIZE", help_heading = "Rules")]
    pub max_layer_blob_bytes: Option<String>,
    /// Dockerfile patterns the history shows (apt lists kept, pip cache, ...); 0 for none.
    #[arg(long, value_name = "N", help_heading = "Rules")]
    pub max_history_patterns: Option<String>,
    /// Growth of content bytes since --baseline, or a percent ("5%").
    #[arg(long, value_name = "SIZE|PCT%", help_heading = "Rules")]
    pub max_growth_bytes: Option<String>,
    /// Growth of content bytes since --baseline, in percent.
    #[arg(long, value_name = "PCT", help_heading = "Rules")]
    pub max_growth_percent: Option<String>,
    /// A category budget, NAME=MAX (e.g. vcs=0, package_cache=10MB); repeatable.
    #[arg(long, value_name = "NAME=MAX", help_heading = "Rules")]
    pub category: Vec<String>,
    /// A path glob no visible file may match (e.g. "**/*.pem"); repeatable.
    #[arg(long, value_name = "GLOB", help_heading = "Rules")]
    pub deny: Vec<String>,
    /// A path glob exempt from --deny; repeatable.
    #[arg(long, value_name = "GLOB", help_heading = "Rules")]
    pub allow: Vec<String>,
    /// Running as root: error, warn or off.
    #[arg(long, value_name = "LEVEL", help_heading = "Rules")]
    pub root_user: Option<String>,
    /// Secrets in the config's Env, labels or history: error, warn or off.
    #[arg(long, value_name = "LEVEL", help_heading = "Rules")]
    pub config_secrets: Option<String>,
}

/// `deadweight check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The image to read.
    #[command(flatten)]
    pub input: InputArgs,
    /// The budget file (default: ./deadweight.toml when it exists).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Read dive's rules from a `.dive-ci` file, as is.
    #[arg(long, value_name = "FILE")]
    pub dive_ci: Option<PathBuf>,
    /// The image to compare with: a JSON report of `inspect --all-files` or a saved image.
    #[arg(long, value_name = "REPORT.json|IMAGE")]
    pub baseline: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormatArg::Table)]
    pub format: CheckFormatArg,
    /// Write the report here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Sizes human-readable or as exact integers.
    #[arg(long, value_enum, default_value_t = BytesArg::Human)]
    pub bytes: BytesArg,
    /// Units of human-readable sizes.
    #[arg(long, value_enum, default_value_t = UnitsArg::Si)]
    pub units: UnitsArg,
    /// With `--format sarif`: the artifact every result is located at, a path in the
    /// repository such as `Dockerfile` (default: the image file, or the image's ref when
    /// it is read from standard input).
    #[arg(long, value_name = "PATH")]
    pub sarif_base: Option<String>,
    /// The rules given as flags.
    #[command(flatten)]
    pub rules: RuleFlags,
}

/// `deadweight init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The image to take today's sizes from.
    #[command(flatten)]
    pub input: InputArgs,
    /// Where to write the config (`-` for standard output).
    #[arg(long, short, value_name = "FILE", default_value = "deadweight.toml")]
    pub output: PathBuf,
    /// Replace an existing file.
    #[arg(long)]
    pub force: bool,
    /// Headroom over today's sizes, in percent.
    #[arg(long, value_name = "PCT", default_value_t = 10)]
    pub margin: u32,
}

/// The one unit policy of every human-readable report, from `--bytes` and `--units`.
pub fn byte_format(bytes: BytesArg, units: UnitsArg) -> deadweight::report::ByteFormat {
    use deadweight::report::ByteFormat;
    match (bytes, units) {
        (BytesArg::Raw, _) => ByteFormat::Raw,
        (BytesArg::Human, UnitsArg::Si) => ByteFormat::Si,
        (BytesArg::Human, UnitsArg::Iec) => ByteFormat::Iec,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
