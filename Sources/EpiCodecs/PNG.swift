/// Errors thrown by the PNG writer.
package enum PNGError: Error, Equatable, Sendable {
    /// Width or height is zero, or the image exceeds ``PNGWriter/maxDimension``.
    case invalidDimensions
    /// The pixel buffer does not match width × height.
    case pixelCountMismatch
    /// zlib compression of the image data failed.
    case compressionFailed

    /// Stable machine-readable code.
    package var code: Int {
        switch self {
        case .invalidDimensions: return 7101
        case .pixelCountMismatch: return 7102
        case .compressionFailed: return 7103
        }
    }
}

/// CRC-32 as used by PNG chunks and zlib's gzip (ISO 3309, reflected polynomial 0xEDB88320).
package enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 {
            value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1
        }
        return value
    }

    /// Continues a CRC over `bytes`; start with 0.
    package static func update(_ crc: UInt32, _ bytes: some Sequence<UInt8>) -> UInt32 {
        var value = ~crc
        for byte in bytes {
            value = table[Int((value ^ UInt32(byte)) & 0xFF)] ^ (value >> 8)
        }
        return ~value
    }

    /// CRC of `bytes`.
    package static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        update(0, bytes)
    }
}

/// Minimal PNG writer for grayscale images (IHDR, IDAT, IEND).
package enum PNGWriter {
    /// Largest accepted width or height, which keeps buffer sizes far from overflow.
    package static let maxDimension = 16_384

    /// Sample depths the writer can produce.
    package enum BitDepth: Int, Sendable {
        /// One bit per pixel, 0 = black, 1 = white: smallest files for QR codes.
        case one = 1
        /// One byte per pixel, 0 = black, 255 = white.
        case eight = 8
    }

    /// Encodes a grayscale image where `black(x, y)` decides each pixel.
    package static func grayscale(
        width: Int,
        height: Int,
        bitDepth: BitDepth,
        black: (_ x: Int, _ y: Int) -> Bool
    ) throws(PNGError) -> [UInt8] {
        guard width > 0, height > 0, width <= maxDimension, height <= maxDimension else {
            throw .invalidDimensions
        }
        let rowBytes = bitDepth == .one ? (width + 7) / 8 : width
        var raw: [UInt8] = []
        raw.reserveCapacity((rowBytes + 1) * height)
        for y in 0..<height {
            // Filter type 0 (None): QR images compress well without prediction.
            raw.append(0)
            switch bitDepth {
            case .one:
                var byte: UInt8 = 0
                for x in 0..<width {
                    if !black(x, y) { byte |= 0x80 >> UInt8(x & 7) }
                    if x & 7 == 7 {
                        raw.append(byte)
                        byte = 0
                    }
                }
                if width & 7 != 0 { raw.append(byte) }
            case .eight:
                for x in 0..<width {
                    raw.append(black(x, y) ? 0x00 : 0xFF)
                }
            }
        }
        let compressed: [UInt8]
        do {
            compressed = try Zlib.compress(raw, level: 9)
        } catch {
            throw .compressionFailed
        }

        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png.reserveCapacity(compressed.count + 64)
        var header: [UInt8] = []
        appendBigEndian(UInt32(width), to: &header)
        appendBigEndian(UInt32(height), to: &header)
        // bit depth, colour type 0 (grayscale), compression 0, filter 0, no interlace.
        header += [UInt8(bitDepth.rawValue), 0, 0, 0, 0]
        appendChunk("IHDR", header, to: &png)
        appendChunk("IDAT", compressed, to: &png)
        appendChunk("IEND", [], to: &png)
        return png
    }

    private static func appendChunk(_ type: String, _ data: [UInt8], to png: inout [UInt8]) {
        let typeBytes = Array(type.utf8)
        appendBigEndian(UInt32(data.count), to: &png)
        png += typeBytes
        png += data
        // The CRC covers the chunk type and data, not the length.
        appendBigEndian(CRC32.update(CRC32.checksum(typeBytes), data), to: &png)
    }

    private static func appendBigEndian(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 24))
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }
}

extension QRMatrix {
    /// Renders the symbol as a grayscale PNG.
    ///
    /// - Parameters:
    ///   - scale: pixels per module, 1...64.
    ///   - quietZone: light border in modules; ISO/IEC 18004 requires at least 4.
    ///   - bitDepth: 1-bit (smallest) or 8-bit grayscale.
    package func png(scale: Int = 8, quietZone: Int = 4, bitDepth: PNGWriter.BitDepth = .one) throws(PNGError) -> [UInt8] {
        guard (1...64).contains(scale), (0...64).contains(quietZone) else { throw .invalidDimensions }
        // Bounded above by (177 + 128) × 64, so no overflow is possible.
        let side = (size + 2 * quietZone) * scale
        return try PNGWriter.grayscale(width: side, height: side, bitDepth: bitDepth) { x, y in
            self[x: x / scale - quietZone, y: y / scale - quietZone]
        }
    }

    /// Renders the symbol as a scalable SVG document with one `<path>` for all dark modules.
    ///
    /// The viewBox is in module units including the quiet zone, so the image
    /// scales to any size; `shape-rendering="crispEdges"` keeps module edges
    /// sharp. `pixelSize` only sets the default width and height attributes.
    package func svg(quietZone: Int = 4, pixelSize: Int? = nil) -> String {
        let border = max(0, min(quietZone, 64))
        let side = size + 2 * border
        var path = ""
        path.reserveCapacity(size * size * 4)
        for y in 0..<size {
            var x = 0
            while x < size {
                guard self[x: x, y: y] else {
                    x += 1
                    continue
                }
                // One rectangle per horizontal run keeps the path short.
                var run = 1
                while x + run < size && self[x: x + run, y: y] { run += 1 }
                path += "M\(x + border) \(y + border)h\(run)v1h-\(run)z"
                x += run
            }
        }
        let dimension = pixelSize.map { max(1, $0) } ?? side * 8
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 \(side) \(side)" \
            width="\(dimension)" height="\(dimension)" shape-rendering="crispEdges">
            <rect width="100%" height="100%" fill="#FFFFFF"/>
            <path fill="#000000" d="\(path)"/>
            </svg>

            """
    }
}
