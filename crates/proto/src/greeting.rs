//! The first bytes a server sends unasked: SSH's identification string (RFC 4253 §4.2), an FTP
//! server's `220` reply (RFC 959 §4.2), or a Telnet server's option negotiation (RFC 854: `IAC`
//! 0xFF followed by `WILL`/`WONT`/`DO`/`DONT` and an option) or bare login prompt. Pure: the caller
//! reads at most [`MAX_GREETING`] bytes and gives them here; nothing here panics on any input.

/// Bytes of a greeting read at most.
pub const MAX_GREETING: usize = 512;
/// Characters of a greeting's text kept (the first line, control characters dropped).
pub const MAX_TEXT: usize = 120;

/// Which administration protocol greeted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GreetingProtocol {
    Telnet,
    Ftp,
    Ssh,
}

/// A recognised greeting: its protocol and what it said (the first line as text; for Telnet,
/// the options it negotiated, `IAC DO ECHO`, and any prompt).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting {
    pub protocol: GreetingProtocol,
    pub text: String,
}

const IAC: u8 = 0xff;
const SB: u8 = 250;
const SE: u8 = 240;

/// The greeting `bytes` start with, if it is one of the three.
pub fn classify(bytes: &[u8]) -> Option<Greeting> {
    let bytes = &bytes[..bytes.len().min(MAX_GREETING)];
    if bytes.starts_with(b"SSH-") {
        return Some(Greeting {
            protocol: GreetingProtocol::Ssh,
            text: first_line(bytes),
        });
    }
    if bytes.len() >= 4 && bytes.starts_with(b"220") && matches!(bytes[3], b' ' | b'-') {
        return Some(Greeting {
            protocol: GreetingProtocol::Ftp,
            text: first_line(bytes),
        });
    }
    if bytes.first() == Some(&IAC) {
        return telnet(bytes);
    }
    let text = first_line(bytes).to_ascii_lowercase();
    if text.ends_with("login:") || text.ends_with("username:") {
        return Some(Greeting {
            protocol: GreetingProtocol::Telnet,
            text: first_line(bytes),
        });
    }
    None
}

/// Telnet: every command at the start must be a well-formed negotiation (`IAC WILL|WONT|DO|DONT
/// option`, or a subnegotiation `IAC SB ... IAC SE`); what follows is the prompt.
fn telnet(bytes: &[u8]) -> Option<Greeting> {
    let mut said = Vec::new();
    let mut i = 0;
    while bytes.get(i) == Some(&IAC) {
        match (bytes.get(i + 1), bytes.get(i + 2)) {
            (Some(&verb @ 251..=254), Some(&option)) => {
                said.push(format!("IAC {} {}", verb_name(verb), option_name(option)));
                i += 3;
            }
            (Some(&SB), _) => {
                let end = bytes
                    .get(i + 2..)?
                    .windows(2)
                    .position(|w| w == [IAC, SE])?;
                said.push(format!(
                    "IAC SB {}",
                    option_name(bytes.get(i + 2).copied().unwrap_or(0))
                ));
                i += 2 + end + 2;
            }
            _ => return None,
        }
        if said.len() > 16 {
            break;
        }
    }
    if said.is_empty() {
        return None;
    }
    let prompt = first_line(bytes.get(i..).unwrap_or_default());
    let mut text = said.join(", ");
    if !prompt.is_empty() {
        text.push_str(&format!("; then {prompt:?}"));
    }
    Some(Greeting {
        protocol: GreetingProtocol::Telnet,
        text: text.chars().take(MAX_TEXT * 2).collect(),
    })
}

fn verb_name(v: u8) -> &'static str {
    match v {
        251 => "WILL",
        252 => "WONT",
        253 => "DO",
        _ => "DONT",
    }
}

/// The options a login server negotiates first (RFC 857, 858, 1091, 1073, 1079, 1184, 1572).
fn option_name(o: u8) -> String {
    match o {
        1 => "ECHO".into(),
        3 => "SUPPRESS-GO-AHEAD".into(),
        24 => "TERMINAL-TYPE".into(),
        31 => "NAWS".into(),
        32 => "TERMINAL-SPEED".into(),
        33 => "LINEMODE".into(),
        34 => "LINEMODE".into(),
        35 => "X-DISPLAY-LOCATION".into(),
        36 => "ENVIRON".into(),
        39 => "NEW-ENVIRON".into(),
        o => o.to_string(),
    }
}

/// The first line as text: bytes up to CR/LF, control characters and other Telnet commands
/// dropped, at most [`MAX_TEXT`] characters.
fn first_line(bytes: &[u8]) -> String {
    let line = bytes
        .split(|&b| b == b'\n' || b == b'\r')
        .find(|l| l.iter().any(|b| !b.is_ascii_whitespace() && *b != 0))
        .unwrap_or_default();
    String::from_utf8_lossy(line)
        .chars()
        .filter(|c| !c.is_control() && *c != '\u{fffd}')
        .take(MAX_TEXT)
        .collect::<String>()
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_ftp_and_telnet_are_told_apart() {
        let ssh = classify(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n").unwrap();
        assert_eq!(ssh.protocol, GreetingProtocol::Ssh);
        assert_eq!(ssh.text, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3");
        let ftp = classify(b"220 pyftpdlib 2.0.1 ready.\r\n").unwrap();
        assert_eq!(
            (ftp.protocol, ftp.text.as_str()),
            (GreetingProtocol::Ftp, "220 pyftpdlib 2.0.1 ready.")
        );
        assert!(classify(b"220-multi\r\n220 end\r\n").is_some());
        // Debian's busybox-static 1.35 telnetd, as it greeted a connection on this machine: DO ECHO,
        // DO NAWS, WILL ECHO, WILL SGA, then /etc/issue.net.
        let t = classify(&[
            255, 253, 1, 255, 253, 31, 255, 251, 1, 255, 251, 3, 13, 13, 10, 68, 101, 98, 105, 97,
            110, 32, 71, 78, 85, 47, 76, 105, 110, 117, 120, 32, 49, 50, 13, 10, 13,
        ])
        .unwrap();
        assert_eq!(t.protocol, GreetingProtocol::Telnet);
        assert_eq!(
            t.text,
            "IAC DO ECHO, IAC DO NAWS, IAC WILL ECHO, IAC WILL SUPPRESS-GO-AHEAD; then \"Debian GNU/Linux 12\""
        );
        let bare = classify(b"\r\nIPCAM login: ").unwrap();
        assert_eq!(bare.protocol, GreetingProtocol::Telnet);
    }

    #[test]
    fn other_bytes_are_no_greeting() {
        for b in [
            &b""[..],
            b"RTSP/1.0 200 OK\r\n",
            b"HTTP/1.1 400 Bad Request\r\n",
            b"2200 not ftp",
            &[255],
            &[255, 1, 2],
            &[255, 250, 24, 1],
            b"hello",
        ] {
            assert_eq!(classify(b), None, "{b:?}");
        }
        // A subnegotiation, closed.
        let sb = classify(&[255, 250, 24, 1, 255, 240, 255, 253, 1]).unwrap();
        assert_eq!(sb.text, "IAC SB TERMINAL-TYPE, IAC DO ECHO");
    }

    #[test]
    fn any_input_is_safe_at_every_split() {
        let inputs: [&[u8]; 3] = [
            &[255, 253, 1, 255, 250, 24, 1, 255, 240, 255, 251, 3, b'x'],
            b"SSH-2.0-\xff\xfe\r\n",
            b"220 \xc3\x28 ok",
        ];
        for input in inputs {
            for n in 0..=input.len() {
                let _ = classify(&input[..n]);
            }
        }
        let long = vec![b'A'; 4096];
        assert_eq!(classify(&long), None);
        let long_ssh = [b"SSH-2.0-".as_slice(), &long].concat();
        assert!(classify(&long_ssh).unwrap().text.chars().count() <= MAX_TEXT);
    }
}
