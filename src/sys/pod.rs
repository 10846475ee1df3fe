//! [`Pod`]: types whose values are plain bytes, and the byte views of them.

/// A plain-old-data type: its values can be viewed as bytes and made from any bytes.
///
/// Keys and values of the typed map API are `Pod`. The kernel copies them byte by byte, so a
/// `Pod` type must have the exact layout the BPF program uses, and nothing a byte copy could
/// break.
///
/// # Safety
///
/// Implement this only for a type that
/// - is `Copy`, has no padding bytes (not even at the end) and no interior mutability,
/// - contains no pointers, references or fds (the kernel would see addresses or numbers that
///   mean nothing to it),
/// - is valid for every bit pattern (so no `bool`, `char`, enums or `NonZero*`).
///
/// Typically a `#[repr(C)]` struct of integers whose fields are ordered so that no padding is
/// needed:
///
/// ```
/// use bpfmaps::Pod;
///
/// #[repr(C)]
/// #[derive(Clone, Copy)]
/// struct FlowKey {
///     ifindex: u32,
///     queue: u32,
/// }
/// // SAFETY: two `u32`s, 8 bytes, no padding, every bit pattern valid.
/// unsafe impl Pod for FlowKey {}
/// ```
pub unsafe trait Pod: Copy + Send + Sync + 'static {}

macro_rules! impl_pod {
    ($($t:ty),*) => {
        // SAFETY: primitive integers and floats have no padding and every bit pattern is valid.
        $(unsafe impl Pod for $t {})*
    };
}

impl_pod!(
    (),
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    f32,
    f64
);

// SAFETY: an array of `Pod` has no padding between elements (size is a multiple of alignment)
// and is valid for every bit pattern if its element is.
unsafe impl<T: Pod, const N: usize> Pod for [T; N] {}

// SAFETY: `MapId` is a `repr(transparent)` wrapper of `NonZeroU32`, so `Option<MapId>` has the
// size, alignment and ABI of `u32` with 0 as `None` (guaranteed by `core::option`): no padding,
// and every bit pattern is a valid value. It is how an outer map's lookups read an id.
unsafe impl Pod for Option<crate::MapId> {}

/// The bytes of a `Pod` value.
pub(crate) fn bytes_of<T: Pod>(value: &T) -> &[u8] {
    // SAFETY: `T: Pod` has no padding, so all `size_of::<T>()` bytes are initialised; the
    // returned slice borrows `value`.
    unsafe { core::slice::from_raw_parts(value as *const T as *const u8, size_of::<T>()) }
}

/// The bytes of a `Pod` value, writable.
pub(crate) fn bytes_of_mut<T: Pod>(value: &mut T) -> &mut [u8] {
    // SAFETY: as in `bytes_of`, and every bit pattern written through the slice is a valid `T`.
    unsafe { core::slice::from_raw_parts_mut(value as *mut T as *mut u8, size_of::<T>()) }
}

/// The bytes of a slice of `Pod` values.
pub(crate) fn slice_bytes<T: Pod>(values: &[T]) -> &[u8] {
    // SAFETY: elements of `T: Pod` have no padding and are laid out contiguously; the length in
    // bytes cannot overflow because the slice already exists in memory.
    unsafe { core::slice::from_raw_parts(values.as_ptr() as *const u8, size_of_val(values)) }
}

/// The bytes of a slice of `Pod` values, writable.
pub(crate) fn slice_bytes_mut<T: Pod>(values: &mut [T]) -> &mut [u8] {
    // SAFETY: as in `slice_bytes`, and any bytes written are valid `T`s.
    unsafe { core::slice::from_raw_parts_mut(values.as_mut_ptr() as *mut u8, size_of_val(values)) }
}

/// A value of all zero bytes.
pub(crate) fn zeroed<T: Pod>() -> T {
    // SAFETY: every bit pattern, all-zero included, is a valid `T: Pod`.
    unsafe { core::mem::zeroed() }
}

/// A `Pod` value read from the start of `bytes`, which must be at least `size_of::<T>()` long.
pub(crate) fn read_unaligned<T: Pod>(bytes: &[u8]) -> Option<T> {
    let mut value = zeroed::<T>();
    let dst = bytes_of_mut(&mut value);
    dst.copy_from_slice(bytes.get(..dst.len())?);
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let v: [u32; 3] = [1, 2, 0xdead_beef];
        let b = bytes_of(&v);
        assert_eq!(b.len(), 12);
        assert_eq!(read_unaligned::<[u32; 3]>(b), Some(v));
        assert_eq!(read_unaligned::<u64>(&b[..7]), None);
        let mut w = [0u16; 2];
        slice_bytes_mut(&mut w).copy_from_slice(&[1, 0, 2, 0]);
        assert_eq!(w, [1u16.to_le(), 2u16.to_le()].map(u16::from_le));
        assert_eq!(slice_bytes(&w).len(), 4);
    }
}
