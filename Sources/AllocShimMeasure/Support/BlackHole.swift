/// Keeps `value` observable, so the loops that produced it cannot be removed: the benchmarks
/// fold a byte of every buffer into a checksum and hand the checksum here.
@inline(never)
func blackHole(_ value: UInt64) {
    if value == 0x5EED_5EED_5EED_5EED { print("") }
}
