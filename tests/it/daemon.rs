//! `docker-daemon:` and `podman:` against a real daemon: Podman's Docker-compatible API
//! (`podman system service`) on a socket in a temporary folder, fixtures loaded with
//! `podman load`. The image streams from `GET /images/{name}/get` into the reader and
//! must give the archive's figures exactly.

use crate::common::{bin, fixtures};
use crate::servers::{Auth, Podman, Registry};
use serde_json::Value;

fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = bin();
    cmd.args(args)
        .env_remove("DOCKER_HOST")
        .env_remove("CONTAINER_HOST")
        .env("XDG_RUNTIME_DIR", "/nonexistent");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn report(image: &str, env: &[(&str, &str)]) -> Value {
    let (code, out, err) = run(&["inspect", "--format", "json", "--quiet", image], env);
    assert_eq!(code, 0, "{image}: {err}");
    let mut v: Value = serde_json::from_str(&out).unwrap();
    v.as_object_mut().unwrap().remove("source");
    v
}

#[test]
fn daemon_images_read_as_their_archives() {
    let Some(formats) = fixtures("formats") else {
        return;
    };
    let Some(podman) = Podman::start() else {
        return;
    };
    let archive = formats.join("tiny.docker.tar");
    podman.load(&archive, "app:pr");
    let host = podman.host();
    let docker_env = [("DOCKER_HOST", host.as_str())];
    let podman_env = [("CONTAINER_HOST", host.as_str())];
    let want = report(archive.to_str().unwrap(), &[]);
    let (_, out, _) = run(
        &["inspect", "--format", "json", "-q", "docker-daemon:app:pr"],
        &docker_env,
    );
    let got: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(got["source"]["path"], "docker-daemon:app:pr");
    assert_eq!(got["source"]["layout"], "docker-archive");
    let mut figures = got.clone();
    figures.as_object_mut().unwrap().remove("source");
    assert_eq!(
        figures["image"]["refs"],
        serde_json::json!(["localhost/app:pr"])
    );
    let strip_refs = |mut v: Value| {
        let img = v["image"].as_object_mut().unwrap();
        img.remove("ref");
        img.remove("refs");
        v
    };
    assert_eq!(strip_refs(figures), strip_refs(want.clone()));
    assert_eq!(
        strip_refs(report("podman:app:pr", &podman_env)),
        strip_refs(want.clone())
    );
    assert_eq!(
        strip_refs(report("podman://localhost/app:pr", &podman_env)),
        strip_refs(want.clone())
    );
    // A bare name that is no file: the local daemon has it.
    assert_eq!(
        strip_refs(report("app:pr", &docker_env)),
        strip_refs(want.clone())
    );
    // A missing image names the socket.
    let (code, _, err) = run(&["inspect", "docker-daemon:nope:1"], &docker_env);
    assert_eq!(code, 2);
    assert!(
        err.contains(&host) && err.contains("has no image nope:1"),
        "{err}"
    );
    // No daemon at the socket.
    let gone = format!("unix://{}/none.sock", podman.dir.path().display());
    let (code, _, err) = run(
        &["inspect", "docker-daemon:app:pr"],
        &[("DOCKER_HOST", &gone)],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains(&gone) && err.contains("no such socket"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    // A bare name nobody has is never pulled: exit 2 with the explicit forms.
    let (code, _, err) = run(&["inspect", "alpine:3.20"], &docker_env);
    assert_eq!(code, 2);
    assert!(err.contains("docker://alpine:3.20"), "{err}");
    assert!(err.contains("never pulls"), "{err}");
}

#[test]
fn diff_a_registry_image_against_a_daemon_image() {
    let Some(formats) = fixtures("formats") else {
        return;
    };
    let Some(reg) = Registry::start(Auth::None) else {
        return;
    };
    let Some(podman) = Podman::start() else {
        return;
    };
    reg.push(
        &format!("oci-archive:{}", formats.join("tiny.oci.tar").display()),
        "app:main",
        &[],
    );
    podman.load(&formats.join("tiny.docker.tar"), "app:pr");
    let host = podman.host();
    let env = [("DOCKER_HOST", host.as_str())];
    let main = reg.url("app:main");
    let (code, out, err) = run(
        &["diff", "--format", "json", &main, "docker-daemon:app:pr"],
        &env,
    );
    assert_eq!(code, 0, "{err}");
    let diff: Value = serde_json::from_str(&out).unwrap();
    // The same image on both sides: no file changes.
    let text = diff.to_string();
    assert!(text.contains("docker://"), "{text}");
    let (code, out, err) = run(&["diff", &main, "docker-daemon:app:pr"], &env);
    assert_eq!(code, 0, "{err}");
    assert!(!out.is_empty());
}
