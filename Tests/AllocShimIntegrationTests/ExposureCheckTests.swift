#if NIO
    import AllocShim
    import AllocShimNIO
    import AllocShimTestSupport
    import NIOCore
    import NIOEmbedded
    import NIOPosix
    import Synchronization
    import Testing

    #if Metrics
        import Logging
        import Metrics
        import MetricsTestKit
    #endif

    /// The chapter's bug: a response is built in a buffer sized from an over-estimate, fewer
    /// bytes are written, and the whole estimate is sent. `fixed` writes exactly what it sends.
    private final class EstimatingResponder: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        static let estimatedSize = 1024
        let fixed: Bool
        init(fixed: Bool) { self.fixed = fixed }

        /// The response head; its last byte is made to differ from the poison pattern at that
        /// offset, so the unwritten run starts exactly after it (otherwise, with probability
        /// 1/256, real text matches the pattern there and the run legitimately starts earlier).
        static let body: [UInt8] = {
            var text = Array(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{\"user\":\"alice\",\"ok\":true}"
                    .utf8)
            text[text.count - 1] = ~PoisonPattern.processWide.byte(at: text.count - 1)
            return text
        }()

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            // allocUnsafe(estimatedSize) in NIO terms: capacity from the channel's (AllocShim)
            // allocator, bytes written, writer index moved past the whole estimate.
            var response = context.channel.allocator.buffer(capacity: Self.estimatedSize)
            let fixed = self.fixed
            response.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.estimatedSize) { writable in
                _ = writable.initializeMemory(as: UInt8.self, from: Self.body)
                return fixed ? Self.body.count : Self.estimatedSize
            }
            context.writeAndFlush(wrapOutboundOut(response), promise: nil)
        }
    }

    /// Runs `body` with poison mode set, under the lock shared with every test that depends on
    /// process-wide buffer settings.
    private func withPoison<R>(_ poison: Bool, _ body: () throws -> R) throws -> R {
        try ProcessSettingsLock.exclusive {
            PoisonMode.setEnabled(poison)
            defer { PoisonMode.setEnabled(false) }
            return try body()
        }
    }

    private let expectedTail = Exposure(
        offset: EstimatingResponder.body.count,
        length: EstimatingResponder.estimatedSize - EstimatingResponder.body.count)

    @Suite("Exposure check handler")
    struct ExposureCheckTests {
        private func embedded(fixed: Bool, action: ExposureAction = .report, findings: Findings) throws
            -> EmbeddedChannel
        {
            let channel = EmbeddedChannel()
            channel.allocator = try .allocShim(SystemAllocator.shared)
            try channel.pipeline.syncOperations.addHandler(
                ExposureCheckHandler(action: action) { found in findings.withLock { $0.append(found) } })
            try channel.pipeline.syncOperations.addHandler(EstimatingResponder(fixed: fixed))
            return channel
        }

        @Test(
            "EmbeddedChannel: the unwritten tail is reported at its offset and length; the fix is silent; poison off is silent"
        )
        func embeddedChapter() throws {
            for (poison, fixed) in [(true, false), (true, true), (false, false)] {
                let findings = Findings()
                try withPoison(poison) {
                    let channel = try embedded(fixed: fixed, findings: findings)
                    try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\n\r\n"))
                    let sent = try #require(try channel.readOutbound(as: ByteBuffer.self))
                    #expect(
                        sent.readableBytes
                            == (fixed ? EstimatingResponder.body.count : EstimatingResponder.estimatedSize))
                    _ = try channel.finish()
                }
                let seen = findings.withLock { $0 }
                if poison && !fixed {
                    #expect(
                        seen == [
                            OutboundExposure(
                                channel: "EmbeddedChannel", byteCount: EstimatingResponder.estimatedSize,
                                exposures: [expectedTail])
                        ])
                } else {
                    #expect(seen.isEmpty, "poison \(poison), fixed \(fixed): \(seen)")
                }
            }
        }

        @Test("closeChannel: the write fails with the finding and nothing leaves")
        func closeChannelAction() throws {
            let findings = Findings()
            try withPoison(true) {
                let channel = try embedded(fixed: false, action: .closeChannel, findings: findings)
                try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\n\r\n"))
                #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
                #expect(!channel.isActive)
                // The handler closed the channel; run what the close scheduled and finish it, or
                // the channel and its pipeline keep each other alive (LeakSanitizer saw them).
                channel.embeddedEventLoop.run()
                _ = try? channel.finish()
            }
            #expect(findings.withLock { $0.count } == 1)
            #expect(throws: ExposureCheckError.unknownAction("explode")) {
                try ExposureAction(parsing: "explode")
            }
        }

        @Test(
            "a real loopback connection: the server's handler reports the tail; the fix is silent",
            .timeLimit(.minutes(1)))
        func loopbackChapter() throws {
            for fixed in [false, true] {
                let findings = Findings()
                let received = try withPoison(true) { () throws -> [UInt8] in
                    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
                    defer { try? group.syncShutdownGracefully() }
                    let allocator = try ByteBufferAllocator.allocShim(SystemAllocator.shared)
                    let server = try ServerBootstrap(group: group)
                        .allocShimAllocator(allocator)
                        .childChannelInitializer { channel in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(
                                    ExposureCheckHandler { found in findings.withLock { $0.append(found) } })
                                try channel.pipeline.syncOperations.addHandler(EstimatingResponder(fixed: fixed))
                            }
                        }
                        .bind(host: "127.0.0.1", port: 0).wait()
                    let expected = fixed ? EstimatingResponder.body.count : EstimatingResponder.estimatedSize
                    let done = group.next().makePromise(of: [UInt8].self)
                    let client = try ClientBootstrap(group: group)
                        .channelInitializer { channel in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(
                                    ResponseCollector(expected: expected, done: done))
                            }
                        }
                        .connect(to: server.localAddress!).wait()
                    try client.writeAndFlush(ByteBuffer(string: "GET / HTTP/1.1\r\n\r\n")).wait()
                    let bytes = try done.futureResult.wait()
                    try client.close().wait()
                    try server.close().wait()
                    return bytes
                }
                #expect(Array(received.prefix(EstimatingResponder.body.count)) == EstimatingResponder.body)
                let seen = findings.withLock { $0 }
                if fixed {
                    #expect(seen.isEmpty, "\(seen)")
                } else {
                    let found = try #require(seen.first)
                    #expect(seen.count == 1)
                    #expect(found.exposures == [expectedTail])
                    #expect(
                        found.channel.contains("127.0.0.1"), "channel named by its peer: \(found.channel)")
                    // What the peer received carries the poison where the detector said.
                    let tail = Array(received[expectedTail.offset...])
                    #expect(
                        tail.enumerated().allSatisfy {
                            $0.element == PoisonPattern.processWide.byte(at: expectedTail.offset + $0.offset)
                        })
                }
            }
        }

        /// A channel whose only handler is the check, and a half-written 1024-byte body from its
        /// (AllocShim) allocator: 77 bytes written, the writer index past the whole estimate.
        private func checkedChannel(findings: Findings) throws -> (EmbeddedChannel, ByteBuffer) {
            let channel = EmbeddedChannel()
            channel.allocator = try .allocShim(SystemAllocator.shared)
            try channel.pipeline.syncOperations.addHandler(
                ExposureCheckHandler { found in findings.withLock { $0.append(found) } })
            var body = channel.allocator.buffer(capacity: EstimatingResponder.estimatedSize)
            body.writeWithUnsafeMutableBytes(minimumWritableBytes: EstimatingResponder.estimatedSize) { writable in
                _ = writable.initializeMemory(as: UInt8.self, from: EstimatingResponder.body)
                return EstimatingResponder.estimatedSize
            }
            return (channel, body)
        }

        @Test(
            "framing moves the unwritten bytes: a header then writeBuffer(&body) is still reported, at the moved offset",
            arguments: [0, 1, 5, 8, 19])
        func framedBody(headerLength: Int) throws {
            let findings = Findings()
            try withPoison(true) {
                let (channel, body) = try checkedChannel(findings: findings)
                var bodyToCopy = body
                var out = channel.allocator.buffer(capacity: 64)
                out.writeString(String(repeating: "h", count: headerLength))
                out.writeBuffer(&bodyToCopy)
                try channel.writeOutbound(out)
                _ = try channel.finish()
            }
            #expect(
                findings.withLock { $0 }.map(\.exposures) == [
                    [Exposure(offset: headerLength + expectedTail.offset, length: expectedTail.length)]
                ])
        }

        @Test("discardReadBytes() and readSlice move the unwritten bytes; both are still reported")
        func discardedAndSliced() throws {
            let findings = Findings()
            try withPoison(true) {
                let (channel, body) = try checkedChannel(findings: findings)
                var discarded = body
                discarded.moveReaderIndex(forwardBy: 13)
                let moved = discarded.discardReadBytes()
                #expect(moved)
                try channel.writeOutbound(discarded)
                var sliced = body
                _ = sliced.readSlice(length: 5)
                let read = sliced.readSlice(length: 500)
                let slice = try #require(read)
                try channel.writeOutbound(slice)
                _ = try channel.finish()
            }
            let moved = Exposure(offset: expectedTail.offset - 13, length: expectedTail.length)
            let inSlice = Exposure(offset: expectedTail.offset - 5, length: 505 - expectedTail.offset)
            #expect(findings.withLock { $0 }.map(\.exposures) == [[moved], [inSlice]])
        }

        #if Metrics
            @Test(
                "wired to swift-log and swift-metrics: an error with channel, offset and length, and a counter"
            )
            func loggerAndCounter() throws {
                let collected = LogCollector()
                let logger = Logger(label: "exposure") { _ in collected }
                let metrics = TestMetrics()
                let counter = Counter(label: "allocshim_exposures_total", factory: metrics)
                let reporter: ExposureCheckHandler.Reporter = { found in
                    for exposure in found.exposures {
                        logger.error(
                            "unwritten bytes in an outbound buffer",
                            metadata: [
                                "channel": "\(found.channel)", "offset": "\(exposure.offset)",
                                "length": "\(exposure.length)",
                            ])
                    }
                    counter.increment(by: found.exposures.count)
                }
                try withPoison(true) {
                    let channel = EmbeddedChannel()
                    channel.allocator = try .allocShim(SystemAllocator.shared)
                    try channel.pipeline.syncOperations.addHandler(ExposureCheckHandler(reporter: reporter))
                    try channel.pipeline.syncOperations.addHandler(EstimatingResponder(fixed: false))
                    try channel.writeInbound(ByteBuffer(string: "GET /"))
                    _ = try channel.readOutbound(as: ByteBuffer.self)
                    _ = try channel.finish()
                }
                let entry = try #require(collected.entries.first)
                #expect(
                    entry.metadata["offset"] == "\(expectedTail.offset)"
                        && entry.metadata["length"] == "\(expectedTail.length)")
                #expect(entry.metadata["channel"] == "EmbeddedChannel")
                #expect(try metrics.expectCounter("allocshim_exposures_total").totalValue == 1)
            }
        #endif
    }

    /// Findings reported from any thread.
    private final class Findings: Sendable {
        private let stored = Mutex<[OutboundExposure]>([])
        func withLock<R>(_ body: (inout [OutboundExposure]) -> R) -> R { stored.withLock { body(&$0) } }
    }

    private final class ResponseCollector: ChannelInboundHandler, @unchecked Sendable {
        // @unchecked: used on its channel's event loop only.
        typealias InboundIn = ByteBuffer
        var bytes: [UInt8] = []
        let expected: Int
        let done: EventLoopPromise<[UInt8]>
        init(expected: Int, done: EventLoopPromise<[UInt8]>) {
            (self.expected, self.done) = (expected, done)
        }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            bytes += buffer.readBytes(length: buffer.readableBytes) ?? []
            if bytes.count >= expected { done.succeed(bytes) }
        }
    }
#endif
