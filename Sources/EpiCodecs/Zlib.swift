import CompressNIO
import NIOCore

/// Errors thrown by the zlib (RFC 1950) helpers.
package enum ZlibError: Error, Equatable, Sendable {
    /// The deflater failed; this indicates a bug or memory exhaustion, not bad input.
    case compressionFailed
    /// The input is not a valid zlib stream (bad header, bad block, checksum mismatch).
    case corruptData
    /// The stream inflates to more than the configured limit.
    case outputTooLarge(limit: Int)
    /// The stream ended before its final block and Adler-32 trailer.
    case truncated
    /// Bytes follow the end of the zlib stream.
    case trailingData
    /// The input was empty.
    case emptyInput

    /// Stable machine-readable code.
    package var code: Int {
        switch self {
        case .compressionFailed: return 5001
        case .corruptData: return 5002
        case .outputTooLarge: return 5003
        case .truncated: return 5004
        case .trailingData: return 5005
        case .emptyInput: return 5006
        }
    }
}

/// A reusable zlib compressor backed by CompressNIO.
///
/// Creating a deflate stream allocates a few hundred KiB of zlib state, which
/// dominates the cost for certificate-sized inputs, so one instance is meant
/// to be kept and reused. It is not thread-safe: use one per task or thread.
package final class ZlibDeflater {
    private let compressor: ZlibCompressor
    private var input: ByteBuffer
    private var output: ByteBuffer

    /// Creates a deflater.
    ///
    /// - Parameter level: zlib level 0...9; 9 gives the smallest QR codes.
    package init(level: Int32 = 9) throws(ZlibError) {
        let clamped = min(max(level, 0), 9)
        do {
            compressor = try ZlibCompressor(
                algorithm: .zlib,
                configuration: ZlibConfiguration(windowSize: 15, compressionLevel: clamped, memoryLevel: 8)
            )
        } catch {
            throw .compressionFailed
        }
        let allocator = ByteBufferAllocator()
        input = allocator.buffer(capacity: 1024)
        output = allocator.buffer(capacity: 1024)
    }

    /// Compresses `bytes` into a complete zlib stream.
    package func compress(_ bytes: some Collection<UInt8>) throws(ZlibError) -> [UInt8] {
        if bytes.isEmpty {
            // CompressNIO force-unwraps buffer base addresses; an empty input
            // never reaches it. This is zlib's own encoding of no data.
            return [0x78, 0xDA, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]
        }
        input.clear()
        input.writeBytes(bytes)
        output.clear()
        output.reserveCapacity(minimumWritableBytes: compressor.maxSize(from: input))
        do {
            try compressor.deflate(from: &input, to: &output, flush: .finish)
            try compressor.reset()
        } catch {
            // The output has deflateBound() room, so any failure is internal.
            try? compressor.reset()
            throw .compressionFailed
        }
        return Array(output.readableBytesView)
    }
}

/// zlib helpers for one-off use.
package enum Zlib {
    /// Compresses `bytes` with a temporary ``ZlibDeflater``.
    package static func compress(_ bytes: some Collection<UInt8>, level: Int32 = 9) throws(ZlibError) -> [UInt8] {
        try ZlibDeflater(level: level).compress(bytes)
    }

    /// Inflates a complete zlib stream, refusing output larger than `maxOutputSize`.
    ///
    /// The cap bounds memory no matter how well the input compresses, which
    /// stops zip bombs; the stream must end exactly at the input's end.
    package static func decompress(_ bytes: [UInt8], maxOutputSize: Int = 65_536) throws(ZlibError) -> [UInt8] {
        guard !bytes.isEmpty else { throw .emptyInput }
        // Clamped so `limit + 1` cannot overflow and one call cannot reserve more than 1 GiB.
        let limit = min(max(maxOutputSize, 0), 1 << 30)
        let decompressor: ZlibDecompressor
        do {
            decompressor = try ZlibDecompressor(algorithm: .zlib, windowSize: 15)
        } catch {
            throw .corruptData
        }
        let allocator = ByteBufferAllocator()
        var input = allocator.buffer(capacity: bytes.count)
        input.writeBytes(bytes)
        // One spare byte lets us tell "exactly at the limit" from "over it".
        var output = allocator.buffer(capacity: limit + 1)
        do {
            try decompressor.inflate(from: &input, to: &output)
        } catch let error as CompressNIOError {
            throw mapInflateError(error, limit: limit)
        } catch {
            throw .corruptData
        }
        guard output.readableBytes <= limit else { throw .outputTooLarge(limit: limit) }

        // CompressNIO reports Z_STREAM_END and "input exhausted mid-stream" the
        // same way. Feeding one more byte separates them: a finished stream
        // ignores it, an unfinished one consumes it or fails.
        var probe = allocator.buffer(capacity: 1)
        probe.writeInteger(UInt8(0))
        do {
            try decompressor.inflate(from: &probe, to: &output)
        } catch {
            throw .truncated
        }
        guard probe.readableBytes == 1 else { throw .truncated }
        guard input.readableBytes == 0 else { throw .trailingData }
        guard output.readableBytes <= limit else { throw .outputTooLarge(limit: limit) }
        return Array(output.readableBytesView)
    }

    private static func mapInflateError(_ error: CompressNIOError, limit: Int) -> ZlibError {
        if error == .bufferOverflow { return .outputTooLarge(limit: limit) }
        if error == .inputBufferOverflow { return .truncated }
        return .corruptData
    }
}
