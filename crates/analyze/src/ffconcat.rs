//! How ffmpeg and ffprobe open a URL that needs a password without the password on their command
//! line, where every local user reads it (`ps`, `/proc/PID/cmdline`).
//!
//! ffmpeg takes credentials only inside the URL, so the URL goes on the tool's stdin instead of
//! its argv: a one-entry [ffconcat script](https://ffmpeg.org/ffmpeg-formats.html#concat-1)
//! (`file 'URL'`, then `option NAME VALUE` for the options the input needs, such as
//! `rtsp_transport`), read by ffmpeg's concat demuxer from `pipe:0`. The concat demuxer opens the
//! URL with those options and hands on its streams as they are (ffprobe's `-show_streams` of the
//! script and of the URL differ only in the first packet's time, measured on GStreamer's RTSP
//! server with ffmpeg 5.1). Its environment is no place for it either: `/proc/PID/environ` is
//! private to the user, but ffmpeg reads no credential from it.
//!
//! `-safe 0` lets the script name a URL rather than a relative file; `-protocol_whitelist` names
//! the network protocols a camera's stream may need (and not `file`: a camera's playlist must not
//! make ffmpeg read this machine's files). Without a credential the URL goes on the command line
//! as before: it holds no secret.
//!
//! The handover report's RTSP keyframes need none of this when the stream is H.264, H.265 or JPEG:
//! camscan's own RTSP client fetches the keyframe and pipes it ([`super::rtsp::keyframe`]).

use credentials::{Credential, url_with_credentials};

/// The protocols a camera stream opened through a concat script may use.
pub const PROTOCOLS: &str = "pipe,rtsp,rtsps,rtp,srtp,udp,tcp,tls,http,https,httpproxy,crypto,data,\
                             rtmp,rtmps,rtmpt,rtmpts,hls";

/// One input of an ffmpeg or ffprobe command line: its arguments (ending with `-i` and what it
/// reads) and what to write on the tool's stdin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub args: Vec<String>,
    /// The concat script with the URL and its credential, when there is a credential.
    pub stdin: Option<Vec<u8>>,
}

/// The input `url` opened as `cred` with the input `options` (name, value: ffmpeg's input
/// options without the dash, e.g. `("rtsp_transport", "tcp")`). With a credential nothing of it
/// is in [`Input::args`].
pub fn input(url: &str, cred: Option<&Credential>, options: &[(&str, String)]) -> Input {
    let Some(c) = cred else {
        let mut args = Vec::new();
        for (name, value) in options {
            args.push(format!("-{name}"));
            args.push(value.clone());
        }
        args.extend(["-i".to_string(), url.to_string()]);
        return Input { args, stdin: None };
    };
    let mut script = format!(
        "ffconcat version 1.0\nfile {}\n",
        quote(&url_with_credentials(url, c))
    );
    for (name, value) in options {
        script.push_str(&format!("option {name} {}\n", quote(value)));
    }
    let args = [
        "-f",
        "concat",
        "-safe",
        "0",
        "-protocol_whitelist",
        PROTOCOLS,
        "-i",
        "pipe:0",
    ]
    .map(String::from)
    .to_vec();
    Input {
        args,
        stdin: Some(script.into_bytes()),
    }
}

/// `s` as one token of a concat script: in single quotes, a quote inside as `'\''` (ffmpeg's
/// `av_get_token`), line breaks (which end a directive) percent-encoded; a URL has none unencoded.
fn quote(s: &str) -> String {
    let s = s.replace('\n', "%0A").replace('\r', "%0D");
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cred(user: &str, password: &str) -> Credential {
        Credential {
            username: user.into(),
            password: password.into(),
            scope: None,
        }
    }

    #[test]
    fn without_a_credential_the_url_is_an_argument() {
        let i = input(
            "rtsp://10.0.0.5/live",
            None,
            &[("rtsp_transport", "tcp".into())],
        );
        assert_eq!(
            i.args,
            ["-rtsp_transport", "tcp", "-i", "rtsp://10.0.0.5/live"]
        );
        assert_eq!(i.stdin, None);
    }

    #[test]
    fn with_a_credential_only_stdin_holds_it() {
        let i = input(
            "rtsp://10.0.0.5:554/live",
            Some(&cred("admin", "it's s3cret")),
            &[
                ("rtsp_transport", "tcp".into()),
                ("timeout", "6000000".into()),
            ],
        );
        let argv = i.args.join(" ");
        assert!(
            !argv.contains("s3cret") && !argv.contains("admin"),
            "{argv}"
        );
        assert!(argv.ends_with("-i pipe:0"), "{argv}");
        let script = String::from_utf8(i.stdin.unwrap()).unwrap();
        assert_eq!(
            script,
            "ffconcat version 1.0\n\
             file 'rtsp://admin:it%27s%20s3cret@10.0.0.5:554/live'\n\
             option rtsp_transport 'tcp'\n\
             option timeout '6000000'\n"
        );
    }

    #[test]
    fn a_line_break_cannot_start_a_directive() {
        assert_eq!(
            quote("a\nfile '/etc/passwd'"),
            "'a%0Afile '\\''/etc/passwd'\\'''"
        );
    }
}
