//! A pseudo-terminal for the tests that look at what a person sees: camscan run with its stdout and
//! stderr on the slave side of a pty of a given size (so it finds a terminal, its width, and draws
//! its progress bar), and a small terminal screen that replays what it wrote: printable characters,
//! carriage return, line feed, and the CSI sequences indicatif and comfy-table send (erase in line,
//! cursor moves, SGR colours ignored). A character past the right edge wraps to the next line, as
//! a terminal does, and is counted: a line wider than the terminal shows up as a wrap.

use std::fs::File;
use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use unicode_width::UnicodeWidthChar;

/// What camscan wrote to the terminal, raw, and its exit code.
pub struct Run {
    pub raw: Vec<u8>,
    pub code: Option<i32>,
}

/// Run `cmd` with stdout and stderr on a fresh pty `cols` wide and `rows` high; panic if it does
/// not end within `limit`.
#[allow(unsafe_code)]
pub fn run(cmd: &mut Command, cols: u16, rows: u16, limit: Duration) -> Run {
    let (mut master, mut slave) = (0, 0);
    let size = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two descriptors into the integers given; the name and termios
    // pointers may be null, the winsize is read only.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened by openpty and are owned by nobody else.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let slave = File::from(slave);
    let mut child = cmd
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave))
        .spawn()
        .expect("camscan runs");
    // The slave's last copy is the child's: when it exits, reading the master ends (EIO).
    // (The command holds its copies until it is given others.)
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    let reader = std::thread::spawn(move || {
        let mut master = File::from(master);
        let mut raw = Vec::new();
        let mut buf = [0u8; 65536];
        loop {
            match master.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => raw.extend_from_slice(&buf[..n]),
            }
        }
        raw
    });
    let started = Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("camscan did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        raw: reader.join().unwrap(),
        code,
    }
}

/// The screen after replaying `raw` on a terminal `cols` wide: its lines (trailing blanks trimmed,
/// scrolled-off lines kept) and how many times text ran past the right edge.
pub fn screen(raw: &[u8], cols: usize) -> (Vec<String>, usize) {
    let text = String::from_utf8_lossy(raw);
    let mut lines: Vec<Vec<char>> = vec![Vec::new()];
    let (mut row, mut col, mut wraps) = (0usize, 0usize, 0usize);
    let mut chars = text.chars().peekable();
    let touch = |lines: &mut Vec<Vec<char>>, row: usize| {
        while lines.len() <= row {
            lines.push(Vec::new());
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\r' => col = 0,
            '\n' => {
                row += 1;
                touch(&mut lines, row);
            }
            '\x08' => col = col.saturating_sub(1),
            '\x1b' => {
                if chars.peek() != Some(&'[') {
                    chars.next();
                    continue;
                }
                chars.next();
                let mut params = String::new();
                let mut last = ' ';
                for p in chars.by_ref() {
                    if ('\x40'..='\x7e').contains(&p) {
                        last = p;
                        break;
                    }
                    params.push(p);
                }
                let n = |default: usize| {
                    params
                        .trim_start_matches('?')
                        .split(';')
                        .next()
                        .and_then(|v| v.parse::<usize>().ok())
                        .unwrap_or(default)
                };
                touch(&mut lines, row);
                match last {
                    'K' => {
                        let line = &mut lines[row];
                        match n(0) {
                            0 => line.truncate(col),
                            1 => {
                                for ch in line.iter_mut().take(col + 1) {
                                    *ch = ' ';
                                }
                            }
                            _ => line.clear(),
                        }
                    }
                    'A' => row = row.saturating_sub(n(1)),
                    'B' => {
                        row += n(1);
                        touch(&mut lines, row);
                    }
                    'C' => col += n(1),
                    'D' => col = col.saturating_sub(n(1)),
                    'G' => col = n(1).saturating_sub(1),
                    'J' if n(0) == 0 => {
                        lines[row].truncate(col);
                        lines.truncate(row + 1);
                    }
                    _ => {} // colours (m), modes (h, l)
                }
            }
            c if c.is_control() => {}
            c => {
                let w = c.width().unwrap_or(0);
                if col + w > cols {
                    wraps += 1;
                    row += 1;
                    col = 0;
                }
                touch(&mut lines, row);
                let line = &mut lines[row];
                while line.len() < col + w {
                    line.push(' ');
                }
                line[col] = c;
                // A wide character's second cell.
                if w == 2 {
                    line[col + 1] = '\0';
                }
                col += w;
            }
        }
    }
    let lines = lines
        .into_iter()
        .map(|l| {
            l.into_iter()
                .filter(|c| *c != '\0')
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect();
    (lines, wraps)
}
