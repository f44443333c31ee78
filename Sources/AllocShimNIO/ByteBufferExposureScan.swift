#if NIO
    // A ByteBuffer's readable bytes read by AllocShim in place (issue 19, item 4, the way back):
    // `readableBytesSpan` (NIO 2.101) is a RawSpan of the buffer's own memory, which AllocShim's
    // span inputs take as is: `OwnedBytes(copying: buffer.readableBytesSpan)`,
    // `SharedBytes.from(buffer.readableBytesSpan)`, `BytesBuilder.append(buffer.readableBytesSpan)`.
    // The exposure detector reads pointers, so it gets the same memory through NIO's closure form.
    import AllocShim
    import NIOCore

    extension ExposureDetector {
        /// Runs of the poison pattern in `buffer`'s readable bytes, read in place (no copy), offsets
        /// relative to the first readable byte.
        public func scan(_ buffer: ByteBuffer) -> [Exposure] {
            buffer.withUnsafeReadableBytes { scan($0) }
        }
    }
#endif
