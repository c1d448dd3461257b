import Foundation
import Testing
@testable import EpiCodecs

@Suite("PNG and SVG rendering")
struct RenderingTests {
    @Test("CRC-32 check value and PNG IEND chunk CRC")
    func crc() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum(Array("IEND".utf8)) == 0xAE42_6082)
        #expect(CRC32.checksum([UInt8]()) == 0)
    }

    /// Minimal PNG reader used only to check our writer's structure.
    struct Chunk { let type: String; let data: [UInt8]; let crcOK: Bool }

    static func chunks(_ png: [UInt8]) -> [Chunk] {
        var result: [Chunk] = []
        var offset = 8
        while offset + 12 <= png.count {
            let length = png[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            guard offset + 12 + length <= png.count else { break }
            let type = String(decoding: png[offset + 4..<offset + 8], as: UTF8.self)
            let data = Array(png[offset + 8..<offset + 8 + length])
            let stored = png[offset + 8 + length..<offset + 12 + length].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            result.append(Chunk(type: type, data: data, crcOK: stored == CRC32.checksum(png[offset + 4..<offset + 8 + length])))
            offset += 12 + length
        }
        return result
    }

    @Test("1-bit PNG: signature, IHDR, IDAT pixels, IEND", arguments: [PNGWriter.BitDepth.one, .eight])
    func pngStructure(depth: PNGWriter.BitDepth) throws {
        let matrix = try QREncoder.encode("HELLO WORLD", errorCorrection: .quartile)
        let scale = 3
        let quiet = 4
        let png = try matrix.png(scale: scale, quietZone: quiet, bitDepth: depth)
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let parts = Self.chunks(png)
        #expect(parts.map(\.type) == ["IHDR", "IDAT", "IEND"])
        #expect(parts.allSatisfy { $0.crcOK })
        let side = (21 + 2 * quiet) * scale
        let ihdr = parts[0].data
        #expect(ihdr.count == 13)
        #expect(ihdr[0..<4].reduce(0) { $0 << 8 | Int($1) } == side)
        #expect(ihdr[4..<8].reduce(0) { $0 << 8 | Int($1) } == side)
        #expect(Array(ihdr[8..<13]) == [UInt8(depth.rawValue), 0, 0, 0, 0])

        // Inflate the image data and compare every pixel with the matrix.
        let raw = try Zlib.decompress(parts[1].data, maxOutputSize: 1 << 20)
        let rowBytes = depth == .one ? (side + 7) / 8 : side
        #expect(raw.count == (rowBytes + 1) * side)
        for y in 0..<side {
            #expect(raw[y * (rowBytes + 1)] == 0)
            for x in 0..<side {
                let pixelBlack: Bool
                if depth == .one {
                    let byte = raw[y * (rowBytes + 1) + 1 + x / 8]
                    pixelBlack = (byte >> (7 - UInt8(x % 8))) & 1 == 0
                } else {
                    pixelBlack = raw[y * (rowBytes + 1) + 1 + x] == 0
                }
                #expect(pixelBlack == matrix[x: x / scale - quiet, y: y / scale - quiet])
            }
        }
    }

    @Test("PNG argument validation")
    func pngErrors() throws {
        let matrix = try QREncoder.encode("A")
        #expect(throws: PNGError.invalidDimensions) { try matrix.png(scale: 0) }
        #expect(throws: PNGError.invalidDimensions) { try matrix.png(scale: 65) }
        #expect(throws: PNGError.invalidDimensions) { try matrix.png(quietZone: -1) }
        #expect(throws: PNGError.invalidDimensions) { try PNGWriter.grayscale(width: 0, height: 1, bitDepth: .one) { _, _ in true } }
        #expect(throws: PNGError.invalidDimensions) {
            try PNGWriter.grayscale(width: PNGWriter.maxDimension + 1, height: 1, bitDepth: .one) { _, _ in true }
        }
        // Odd widths pad the last byte of each row.
        let odd = try PNGWriter.grayscale(width: 9, height: 2, bitDepth: .one) { x, _ in x == 8 }
        let raw = try Zlib.decompress(Self.chunks(odd)[1].data)
        #expect(raw == [0, 0xFF, 0x00, 0, 0xFF, 0x00])
    }

    @Test("SVG: one path, viewBox with quiet zone, crisp edges, runs match the matrix")
    func svg() throws {
        let matrix = try QREncoder.encode("HC1:ABC", errorCorrection: .medium)
        let svg = matrix.svg(quietZone: 4)
        let side = matrix.size + 8
        #expect(svg.contains("viewBox=\"0 0 \(side) \(side)\""))
        #expect(svg.contains("shape-rendering=\"crispEdges\""))
        #expect(svg.components(separatedBy: "<path").count == 2)
        #expect(svg.contains("width=\"\(side * 8)\""))
        #expect(matrix.svg(pixelSize: 300).contains("width=\"300\" height=\"300\""))

        // Re-rasterise the path and compare with the matrix.
        var dark = Set<Int>()
        let pattern = try Regex("M([0-9]+) ([0-9]+)h([0-9]+)v1h-([0-9]+)z")
        for match in svg.matches(of: pattern) {
            let values = (1...4).compactMap { Int(match.output[$0].substring ?? "") }
            #expect(values.count == 4 && values[2] == values[3])
            guard values.count == 4 else { continue }
            for x in values[0]..<(values[0] + values[2]) {
                dark.insert(values[1] * side + x)
            }
        }
        for y in 0..<side {
            for x in 0..<side {
                #expect(dark.contains(y * side + x) == matrix[x: x - 4, y: y - 4])
            }
        }
    }
}
