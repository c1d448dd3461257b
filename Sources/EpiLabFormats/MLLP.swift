import Foundation

/// Minimal Lower Layer Protocol framing: 0x0B message 0x1C 0x0D.
package enum MLLP {
    /// Start block <VT> 0x0B.
    package static let startBlock: UInt8 = 0x0B
    /// End block <FS> 0x1C.
    package static let endBlock: UInt8 = 0x1C
    /// Final <CR> 0x0D after the end block.
    package static let carriageReturn: UInt8 = 0x0D

    /// Wraps one message in an MLLP frame; refuses payloads containing framing bytes because they would split the frame.
    package static func frame(_ payload: [UInt8]) throws(LabFormatError) -> [UInt8] {
        if payload.contains(startBlock) || payload.contains(endBlock) { throw .mllpInvalidPayload }
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + 3)
        out.append(startBlock)
        out.append(contentsOf: payload)
        out.append(endBlock)
        out.append(carriageReturn)
        return out
    }

    /// Frames a text message (UTF-8).
    package static func frame(_ text: String) throws(LabFormatError) -> [UInt8] {
        try frame(Array(text.utf8))
    }
}

/// Something the decoder found in the byte stream.
package enum MLLPEvent: Sendable, Equatable {
    /// A complete message (without framing bytes).
    case message([UInt8])
    /// A framing error; the decoder has already resynchronised.
    case error(LabFormatError)
}

/// Incremental MLLP decoder: feed arbitrary chunks, get whole frames out. Pure value type, no I/O.
package struct MLLPDecoder: Sendable {
    private enum State: Sendable {
        /// Between frames: bytes are discarded until a start block.
        case idle
        /// Inside a frame, collecting payload.
        case inFrame
        /// Saw 0x1C inside a frame; the next byte must be 0x0D.
        case sawEnd
        /// The frame grew past the limit: drop bytes until its end or the next start block.
        case discarding
    }

    /// Largest accepted frame payload.
    package let maxFrameBytes: Int
    private var state: State = .idle
    private var buffer: [UInt8] = []
    /// Bytes dropped outside frames since creation (for monitoring noisy links).
    package private(set) var discardedBytes = 0

    /// Creates a decoder; frames whose payload exceeds `maxFrameBytes` are reported and dropped.
    package init(maxFrameBytes: Int = 1 << 20) {
        self.maxFrameBytes = max(1, maxFrameBytes)
    }

    /// Bytes of the partial frame currently buffered.
    package var bufferedBytes: Int { buffer.count }

    /// Consumes a chunk and returns the messages and errors it completed, in stream order.
    package mutating func feed(_ chunk: some Collection<UInt8>) -> [MLLPEvent] {
        var events: [MLLPEvent] = []
        let handled: Void? = chunk.withContiguousStorageIfAvailable { feed(buffer: $0, into: &events) }
        if handled == nil {
            let copy = Array(chunk)
            copy.withUnsafeBufferPointer { feed(buffer: $0, into: &events) }
        }
        return events
    }

    private mutating func feed(buffer chunk: UnsafeBufferPointer<UInt8>, into events: inout [MLLPEvent]) {
        let n = chunk.count
        var i = 0
        while i < n {
            switch state {
            case .idle:
                // Skip noise quickly until a start block.
                var j = i
                while j < n, chunk[j] != MLLP.startBlock { j += 1 }
                discardedBytes += j - i
                if j < n {
                    state = .inFrame
                    buffer.removeAll(keepingCapacity: true)
                    i = j + 1
                } else {
                    i = n
                }
            case .inFrame:
                // Copy the run of payload bytes up to the next framing byte in one go.
                var j = i
                while j < n, chunk[j] != MLLP.endBlock, chunk[j] != MLLP.startBlock { j += 1 }
                let run = j - i
                if buffer.count + run > maxFrameBytes {
                    events.append(.error(.mllpFrameTooLarge(limit: maxFrameBytes)))
                    buffer.removeAll(keepingCapacity: false)
                    state = .discarding
                    i = j
                    continue
                }
                if run > 0 { buffer.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[i..<j])) }
                i = j
                if i < n {
                    if chunk[i] == MLLP.endBlock {
                        state = .sawEnd
                    } else {
                        // A new start block before the end: the previous frame was cut short.
                        events.append(.error(.mllpFrameInterrupted))
                        buffer.removeAll(keepingCapacity: true)
                    }
                    i += 1
                }
            case .sawEnd:
                let b = chunk[i]
                if b == MLLP.carriageReturn {
                    events.append(.message(buffer))
                    buffer.removeAll(keepingCapacity: true)
                    state = .idle
                    i += 1
                } else {
                    events.append(.error(.mllpInvalidTrailer))
                    buffer.removeAll(keepingCapacity: true)
                    // Do not consume: a start block here begins the next frame.
                    state = .idle
                }
            case .discarding:
                var j = i
                while j < n, chunk[j] != MLLP.endBlock, chunk[j] != MLLP.startBlock { j += 1 }
                discardedBytes += j - i
                if j < n {
                    if chunk[j] == MLLP.startBlock {
                        state = .inFrame
                        buffer.removeAll(keepingCapacity: true)
                    } else {
                        state = .idle  // The trailing 0x0D, if any, is discarded as noise.
                    }
                    i = j + 1
                } else {
                    i = n
                }
            }
        }
    }
}
