//! Which filesystem a path is on, from the text of `/proc/self/mountinfo` (proc(5)), and whether
//! it is a network filesystem, where SQLite's locks may not hold: "How To Corrupt An SQLite
//! Database File" (sqlite.org/howtocorrupt.html, section 2.1) names broken or missing file
//! locking on network filesystems as a way to corrupt a database, and WAL mode needs shared
//! memory that every process using the file can map (sqlite.org/wal.html: "WAL does not work
//! over a network filesystem"). Pure: the caller reads the file.

use std::path::{Path, PathBuf};

/// One mount, as `/proc/self/mountinfo` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// Where it is mounted.
    pub point: PathBuf,
    /// The filesystem type (`ext4`, `nfs4`, `fuse.sshfs`).
    pub fstype: String,
    /// What is mounted (`server:/export`, `//host/share`, `/dev/vda1`).
    pub source: String,
}

impl Mount {
    /// Whether the filesystem is one reached over a network (the kernel's types and FUSE's
    /// common network subtypes). A type it does not know is taken as local.
    pub fn is_network(&self) -> bool {
        const NETWORK: &[&str] = &[
            "nfs",
            "nfs4",
            "cifs",
            "smb3",
            "smbfs",
            "ncpfs",
            "9p",
            "afs",
            "coda",
            "ceph",
            "lustre",
            "gfs2",
            "ocfs2",
            "glusterfs",
            "beegfs",
            "orangefs",
            "pvfs2",
            "davfs",
        ];
        const FUSE_NETWORK: &[&str] = &[
            "sshfs",
            "glusterfs",
            "rclone",
            "s3fs",
            "gcsfuse",
            "davfs",
            "ceph-fuse",
            "goofys",
            "juicefs",
            "smbnetfs",
            "curlftpfs",
        ];
        let t = self.fstype.as_str();
        NETWORK.contains(&t)
            || t.strip_prefix("fuse.")
                .is_some_and(|sub| FUSE_NETWORK.contains(&sub))
    }
}

/// The mount `path` (absolute, symbolic links resolved) is on: the mount whose point is the
/// longest leading part of it; of two mounts on one point, the later (it hides the earlier).
pub fn mount_of(mountinfo: &str, path: &Path) -> Option<Mount> {
    let mut best: Option<Mount> = None;
    for m in mountinfo.lines().filter_map(parse_line) {
        if !path.starts_with(&m.point) {
            continue;
        }
        let longer = best
            .as_ref()
            .is_none_or(|b| m.point.components().count() >= b.point.components().count());
        if longer {
            best = Some(m);
        }
    }
    best
}

/// One line: `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`
/// (the mount point is the fifth field; after the `-` come the type and the source).
fn parse_line(line: &str) -> Option<Mount> {
    let (left, right) = line.split_once(" - ")?;
    let point = left.split(' ').nth(4)?;
    let mut right = right.split(' ');
    let fstype = right.next()?;
    let source = right.next().unwrap_or("");
    Some(Mount {
        point: PathBuf::from(unescape(point)),
        fstype: unescape(fstype),
        source: unescape(source),
    })
}

/// mountinfo's octal escapes (`\040` a space, `\011` a tab, `\012` a newline, `\134` a
/// backslash).
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let digits = b.get(i + 1..i + 4);
        match digits {
            Some(d) if b[i] == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)) => {
                let v = d.iter().fold(0u32, |v, c| v * 8 + u32::from(c - b'0'));
                out.push(u8::try_from(v).unwrap_or(b'?'));
                i += 4;
            }
            _ => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines in the form proc(5) gives, with a local root, an NFS home, a CIFS share whose point
    /// has a space, a tmpfs over part of the NFS mount, and an sshfs mount.
    const MOUNTINFO: &str = "\
22 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro
40 22 0:45 / /home rw,relatime shared:30 - nfs4 files.example:/export/home rw,vers=4.2
41 40 0:46 / /home/op/scratch rw,nosuid shared:31 - tmpfs tmpfs rw,size=1024k
42 22 0:47 / /mnt/site\\040share rw,relatime shared:32 - cifs //nas/site rw,vers=3.1.1
43 22 0:48 / /mnt/lab rw,nosuid,nodev shared:33 - fuse.sshfs op@lab:/srv rw,user_id=0
44 22 0:49 / /var/lib/camscan rw,relatime shared:34 - xfs /dev/vdb1 rw
";

    fn on(path: &str) -> Mount {
        mount_of(MOUNTINFO, Path::new(path)).unwrap()
    }

    #[test]
    fn the_longest_mount_point_holds_the_path() {
        assert_eq!(on("/home/op/inventory.db").fstype, "nfs4");
        assert_eq!(
            on("/home/op/inventory.db").source,
            "files.example:/export/home"
        );
        assert_eq!(on("/home/op/scratch/inventory.db").fstype, "tmpfs");
        assert_eq!(on("/var/lib/camscan/inventory.db").fstype, "xfs");
        assert_eq!(on("/root/inventory.db").fstype, "ext4");
        // A point is a whole component: /home2 is not under /home.
        assert_eq!(on("/home2/inventory.db").fstype, "ext4");
        assert_eq!(on("/mnt/site share/inventory.db").fstype, "cifs");
        assert_eq!(on("/mnt/lab/inventory.db").fstype, "fuse.sshfs");
    }

    #[test]
    fn network_filesystems_are_told_apart() {
        for p in ["/home/op/i.db", "/mnt/site share/i.db", "/mnt/lab/i.db"] {
            assert!(on(p).is_network(), "{p}");
        }
        for p in [
            "/root/i.db",
            "/home/op/scratch/i.db",
            "/var/lib/camscan/i.db",
        ] {
            assert!(!on(p).is_network(), "{p}");
        }
    }

    #[test]
    fn a_later_mount_on_the_same_point_hides_the_earlier() {
        let text = "1 0 0:1 / / rw - ext4 /dev/a rw\n2 1 0:2 / /srv rw - nfs h:/x rw\n3 1 0:3 / /srv rw - ext4 /dev/b rw\n";
        assert_eq!(
            mount_of(text, Path::new("/srv/i.db")).unwrap().fstype,
            "ext4"
        );
    }

    #[test]
    fn bad_lines_are_skipped_never_a_panic() {
        for text in [
            "",
            "garbage",
            " - ",
            "1 2 3 - nfs",
            "a b c d \\99 e - nfs x y",
            "\\",
        ] {
            let _ = mount_of(text, Path::new("/x"));
        }
        assert_eq!(unescape("a\\040b\\134c\\0"), "a b\\c\\0");
    }
}
