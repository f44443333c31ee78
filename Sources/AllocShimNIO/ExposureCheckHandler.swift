#if NIO
    // The exposure detector at the process's edge: every outgoing ByteBuffer is scanned for runs
    // of the poison pattern (bytes never written since their allocation) before it reaches the
    // socket. Only in poison mode (`ALLOCSHIM_POISON`); otherwise each write costs one relaxed
    // atomic load more (measured in docs/leaks.md).
    //
    // Logging and metrics are the caller's: AllocShimNIO depends on SwiftNIO only, so the handler
    // reports through a closure, which is where a swift-log `Logger.error` and a swift-metrics
    // `Counter` go (docs/leaks.md shows the three lines; the integration test does exactly that).
    import AllocShim
    import NIOCore

    #if canImport(Glibc)
        import Glibc
    #elseif canImport(Musl)
        import Musl
    #endif

    /// write(2) on descriptor 2: no shared FILE state, one call per line.
    private func writeToStandardErrorDescriptor(_ line: inout String) {
        line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }

    /// Unwritten bytes found in an outgoing buffer.
    public struct OutboundExposure: Sendable, Equatable {
        /// The channel's description: remote address when connected, else the channel's type.
        public var channel: String
        /// Readable bytes in the buffer.
        public var byteCount: Int
        /// Runs of poison, offsets relative to the buffer's first readable byte.
        public var exposures: [Exposure]

        /// A finding on `channel` in a buffer of `byteCount` readable bytes.
        public init(channel: String, byteCount: Int, exposures: [Exposure]) {
            self.channel = channel
            self.byteCount = byteCount
            self.exposures = exposures
        }
    }

    /// What the handler does when it finds exposed bytes, after reporting them.
    public enum ExposureAction: String, Sendable, CaseIterable {
        /// Report and send the bytes anyway (staging: see every case without breaking traffic).
        case report
        /// Report, fail the write with ``ExposureCheckError`` and close the channel: the bytes
        /// never leave.
        case closeChannel
        /// Report, then stop the process (a crash report with the stack of the write).
        case trap

        /// Parses an action name, with an error naming the bad value and the valid ones.
        public init(parsing name: String) throws(ExposureCheckError) {
            guard let action = ExposureAction(rawValue: name) else { throw .unknownAction(name) }
            self = action
        }
    }

    /// Why a write was refused, or a bad setting.
    public enum ExposureCheckError: Error, Equatable, Sendable, CustomStringConvertible {
        /// The write carried unwritten bytes and the action is ``ExposureAction/closeChannel``.
        case exposed(OutboundExposure)
        /// Not an ``ExposureAction`` name.
        case unknownAction(String)

        /// For `exposed`, the channel, the buffer's size and every run found; for `unknownAction`,
        /// the bad name and the valid ones.
        public var description: String {
            switch self {
            case .exposed(let found):
                return "refused to send \(found.byteCount) bytes on \(found.channel): "
                    + found.exposures.map(\.description).joined(separator: ", ")
            case .unknownAction(let name):
                return "unknown exposure action '\(name)'; valid actions are: "
                    + ExposureAction.allCases.map(\.rawValue).joined(separator: ", ")
            }
        }
    }

    /// An outbound handler that, in poison mode, scans every outgoing `ByteBuffer` for bytes
    /// never written since allocation, reports them and, if configured, closes the channel or
    /// traps. Put it first in the pipeline (closest to the socket) so it sees the final bytes:
    /// `channel.pipeline.addHandler(ExposureCheckHandler(...), position: .first)`.
    ///
    /// A buffer's readable bytes are checked wherever they lie: slices (`readSlice`) and bytes
    /// moved by framing or `discardReadBytes()` included (docs/leaks.md).
    public final class ExposureCheckHandler: ChannelOutboundHandler, RemovableChannelHandler, Sendable {
        /// Outbound writes as the pipeline carries them: byte buffers and datagrams'
        /// (`AddressedEnvelope<ByteBuffer>`) buffers are checked; file regions and writes of any
        /// other type pass through unchecked and untouched (the handler never unwraps them).
        public typealias OutboundIn = IOData
        /// The same `IOData`, forwarded unchanged when the write is allowed.
        public typealias OutboundOut = IOData

        /// Receives every finding (log it, count it).
        public typealias Reporter = @Sendable (OutboundExposure) -> Void

        private let detector: ExposureDetector
        private let action: ExposureAction
        private let reporter: Reporter

        /// - Parameters:
        ///   - action: what to do after reporting (default: report only).
        ///   - detector: run length and pattern (default: `ExposureDetector.standard`).
        ///   - reporter: where findings go; default: one line on standard error.
        public init(
            action: ExposureAction = .report, detector: ExposureDetector = .standard,
            reporter: @escaping Reporter = ExposureCheckHandler.writeToStandardError
        ) {
            self.action = action
            self.detector = detector
            self.reporter = reporter
        }

        /// The default reporter: one line per finding on standard error.
        public static let writeToStandardError: Reporter = { found in
            var line =
                "AllocShim poison: outbound buffer of \(found.byteCount) bytes on \(found.channel) exposes "
                + found.exposures.map(\.description).joined(separator: ", ") + "\n"
            writeToStandardErrorDescriptor(&line)
        }

        /// Scans the readable bytes of a `ByteBuffer` write, or of a datagram's buffer, when poison
        /// mode is on; passes every other write, and every write when poison mode is off, straight
        /// through (never unwrapped).
        ///
        /// On a finding, calls the reporter, then acts: `.report` forwards the write, `.closeChannel`
        /// fails `promise` with `ExposureCheckError.exposed` and closes the channel, `.trap` stops the
        /// process.
        public func write(
            context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?
        ) {
            // Poison off (or an invalid setting, which the allocation path reported): pass through.
            guard (try? PoisonMode.isEnabled()) == true,
                let buffer = Self.outboundBuffer(in: data, channel: context.channel),
                let found = inspect(buffer, channel: context.channel)
            else {
                context.write(data, promise: promise)
                return
            }
            reporter(found)
            switch action {
            case .report:
                context.write(data, promise: promise)
            case .closeChannel:
                promise?.fail(ExposureCheckError.exposed(found))
                context.close(promise: nil)
            case .trap:
                fatalError("AllocShim poison: \(ExposureCheckError.exposed(found))")
            }
        }

        /// The bytes a write would send: a `ByteBuffer`'s, or a datagram envelope's; nil for file
        /// regions and other types. Never `unwrapOutboundIn`, which stops the process (and prints
        /// the value) when the write is of another type, as datagram pipelines' writes are.
        static func outboundBuffer(in data: NIOAny, channel: Channel) -> ByteBuffer? {
            let core = channel._channelCore  // tryUnwrapData: NIO's public non-trapping unwrap
            if let buffer = core.tryUnwrapData(data, as: ByteBuffer.self) { return buffer }
            return core.tryUnwrapData(data, as: AddressedEnvelope<ByteBuffer>.self)?.data
        }

        /// The exposures in `buffer`'s readable bytes, or nil when there are none.
        func inspect(_ buffer: ByteBuffer, channel: Channel) -> OutboundExposure? {
            // The pattern is recognised wherever the bytes lie: slices and moved bytes included.
            let exposures = detector.scan(buffer)
            guard !exposures.isEmpty else { return nil }
            let name = channel.remoteAddress.map { "\($0)" } ?? "\(type(of: channel))"
            return OutboundExposure(channel: name, byteCount: buffer.readableBytes, exposures: exposures)
        }
    }
#endif
