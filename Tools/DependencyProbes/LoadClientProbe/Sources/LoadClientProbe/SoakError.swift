/// Stands in for AllocShimMeasure's SoakError, which SoakWorkload.validate() names (the probe
/// links SoakWorkload.swift but not the rest of the measurement layer).
package enum SoakError: Error {
    case badValue(name: String, value: String, allowed: String)
}
