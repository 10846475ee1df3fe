//! [`Errno`]: an error number returned by the kernel, named.

use core::fmt;

/// An `errno` value, as the kernel returned it.
///
/// A newtype rather than an enum, so a value this crate does not know stays a value. It names
/// the kernel-internal `ENOTSUPP` (524), which the kernel's BPF code returns to userspace and
/// which libc cannot name ("Unknown error 524").
///
/// ```
/// use bpfmaps::Errno;
/// assert_eq!(Errno::ENOTSUPP.name(), Some("ENOTSUPP"));
/// assert_eq!(Errno::E2BIG.to_string(), "E2BIG (Argument list too long)");
/// assert_eq!(Errno::from_raw(9999).to_string(), "errno 9999");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct Errno(i32);

macro_rules! errnos {
    ($($konst:ident = $value:expr, $text:literal;)*) => {
        impl Errno {
            $(
                #[doc = concat!("`", stringify!($konst), "`: ", $text, ".")]
                pub const $konst: Errno = Errno($value);
            )*

            /// The symbolic name (`"E2BIG"`), or `None` for a number this crate does not name.
            ///
            /// ```
            /// use bpfmaps::Errno;
            /// assert_eq!(Errno::EPERM.name(), Some("EPERM"));
            /// assert_eq!(Errno::from_raw(524).name(), Some("ENOTSUPP"));
            /// assert_eq!(Errno::from_raw(9999).name(), None);
            /// ```
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $(v if v == $value => Some(stringify!($konst)),)*
                    _ => None,
                }
            }

            /// A short description, as `strerror` gives it, and for `ENOTSUPP` what libc lacks.
            ///
            /// ```
            /// use bpfmaps::Errno;
            /// assert_eq!(Errno::ENOENT.description(), Some("No such file or directory"));
            /// assert!(Errno::ENOTSUPP.description().unwrap().contains("kernel-internal"));
            /// assert_eq!(Errno::from_raw(9999).description(), None);
            /// ```
            pub const fn description(self) -> Option<&'static str> {
                match self.0 {
                    $(v if v == $value => Some($text),)*
                    _ => None,
                }
            }
        }
    };
}

errnos! {
    EPERM = libc::EPERM, "Operation not permitted";
    ENOENT = libc::ENOENT, "No such file or directory";
    ESRCH = libc::ESRCH, "No such process";
    EINTR = libc::EINTR, "Interrupted system call";
    EIO = libc::EIO, "Input/output error";
    ENXIO = libc::ENXIO, "No such device or address";
    E2BIG = libc::E2BIG, "Argument list too long";
    EBADF = libc::EBADF, "Bad file descriptor";
    EAGAIN = libc::EAGAIN, "Resource temporarily unavailable";
    ENOMEM = libc::ENOMEM, "Cannot allocate memory";
    EACCES = libc::EACCES, "Permission denied";
    EFAULT = libc::EFAULT, "Bad address";
    EBUSY = libc::EBUSY, "Device or resource busy";
    EEXIST = libc::EEXIST, "File exists";
    EXDEV = libc::EXDEV, "Invalid cross-device link";
    ENODEV = libc::ENODEV, "No such device";
    ENOTDIR = libc::ENOTDIR, "Not a directory";
    EISDIR = libc::EISDIR, "Is a directory";
    EINVAL = libc::EINVAL, "Invalid argument";
    ENFILE = libc::ENFILE, "Too many open files in system";
    EMFILE = libc::EMFILE, "Too many open files";
    ENOTTY = libc::ENOTTY, "Inappropriate ioctl for device";
    EFBIG = libc::EFBIG, "File too large";
    ENOSPC = libc::ENOSPC, "No space left on device";
    EROFS = libc::EROFS, "Read-only file system";
    ERANGE = libc::ERANGE, "Numerical result out of range";
    EDEADLK = libc::EDEADLK, "Resource deadlock avoided";
    ENAMETOOLONG = libc::ENAMETOOLONG, "File name too long";
    ENOSYS = libc::ENOSYS, "Function not implemented";
    ENOTEMPTY = libc::ENOTEMPTY, "Directory not empty";
    ELOOP = libc::ELOOP, "Too many levels of symbolic links";
    ENODATA = libc::ENODATA, "No data available";
    EOVERFLOW = libc::EOVERFLOW, "Value too large for defined data type";
    EOPNOTSUPP = libc::EOPNOTSUPP, "Operation not supported";
    EBADFD = libc::EBADFD, "File descriptor in bad state";
    ENOTSUPP = 524, "Operation is not supported (kernel-internal ENOTSUPP)";
}

impl Errno {
    /// The error with number `raw`.
    ///
    /// ```
    /// use bpfmaps::Errno;
    /// // An errno from elsewhere, here from the standard library.
    /// let err = std::fs::File::open("/bpfmaps-doc-no-such-file").unwrap_err();
    /// let errno = Errno::from_raw(err.raw_os_error().unwrap());
    /// assert_eq!(errno, Errno::ENOENT);
    /// assert_eq!(Errno::from_raw(1), Errno::EPERM);
    /// ```
    pub const fn from_raw(raw: i32) -> Errno {
        Errno(raw)
    }

    /// The number.
    ///
    /// ```
    /// use bpfmaps::Errno;
    /// let io = std::io::Error::from(Errno::EEXIST);
    /// assert_eq!(io.raw_os_error(), Some(Errno::EEXIST.raw()));
    /// assert_eq!(io.kind(), std::io::ErrorKind::AlreadyExists);
    /// ```
    pub const fn raw(self) -> i32 {
        self.0
    }

    /// The calling thread's `errno` after a failed call.
    pub(crate) fn last() -> Errno {
        Errno(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    }
}

impl From<Errno> for std::io::Error {
    fn from(e: Errno) -> std::io::Error {
        std::io::Error::from_raw_os_error(e.0)
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.name(), self.description()) {
            (Some(name), Some(text)) => write!(f, "{name} ({text})"),
            _ => write!(f, "errno {}", self.0),
        }
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "Errno({})", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enotsupp_is_named_and_distinct_from_eopnotsupp() {
        assert_ne!(Errno::ENOTSUPP, Errno::EOPNOTSUPP);
        assert_eq!(format!("{:?}", Errno::from_raw(524)), "ENOTSUPP");
        assert!(Errno::ENOTSUPP.to_string().contains("ENOTSUPP"));
    }
}
