public import CuboidImages

/// One picture of a whole sequence: small bird's-eye views of evenly spaced frames in a grid, each
/// with its frame name under it, so a reviewer sees a drive at a glance.
///
/// The sheet holds at most ``maximumTiles`` frames (the first, the last and evenly spaced ones
/// between), so its size does not grow with the sequence: 8 columns of 200-pixel tiles at most,
/// 1,636 x 1,382 pixels with 48 tiles.
public enum ContactSheet {
    /// Frames on a sheet at most.
    public static let maximumTiles = 48
    /// Tiles across.
    public static let columns = 8
    /// A tile's bird's-eye range (half its side, metres) and scale: 100 m across in 200 pixels.
    public static let tileRange = 50.0
    public static let tilePixelsPerMetre = 2.0
    /// Pixels between tiles and around the sheet.
    static let gap = 4
    /// Text scale of the frame names and the title.
    static let textScale = 2

    /// The frames a sheet of a `count`-frame sequence shows: all when there are at most
    /// ``maximumTiles``, otherwise the first, the last and evenly spaced ones between (rounded).
    public static func frameIndices(count: Int) -> [Int] {
        guard count > maximumTiles else { return Array(0..<count) }
        return (0..<maximumTiles).map { k in Int((Double(k) * Double(count - 1) / Double(maximumTiles - 1)).rounded()) }
    }

    /// The sheet: a title line, then the tiles left to right, top to bottom, each with its name
    /// under it (names too long for the tile are cut at the left: the end of a frame name tells
    /// frames apart).
    /// - Parameters:
    ///   - tiles: Frame names and pictures, all of the first picture's size, 8-bit RGB.
    ///   - title: The first line (for example the sequence and how many of its frames are shown).
    /// - Returns: An 8-bit RGB image `8 + columns * (tile + 4)` wide (fewer columns when there are
    ///   fewer tiles).
    /// - Precondition: at least one tile; every tile the same size, 8-bit RGB.
    public static func render(tiles: [(name: String, image: Image)], title: String) -> Image {
        precondition(!tiles.isEmpty, "a contact sheet needs a tile")
        let tileWidth = tiles[0].image.width, tileHeight = tiles[0].image.height
        let columns = min(Self.columns, tiles.count), rows = (tiles.count + columns - 1) / columns
        let textHeight = BitmapFont.glyphHeight * textScale
        let captionHeight = textHeight + 2 * gap, titleHeight = textHeight + 3 * gap
        let width = gap + columns * (tileWidth + gap), height = titleHeight + rows * (tileHeight + captionHeight + gap)
        var canvas = Canvas(width: width, height: height, fill: (40, 40, 46))
        canvas.text(title, x: gap + textScale, y: 2 * gap, scale: textScale, color: (255, 255, 255))
        let charactersPerTile = max(1, (tileWidth + textScale) / (BitmapFont.advance * textScale))
        for (k, tile) in tiles.enumerated() {
            precondition(tile.image.width == tileWidth && tile.image.height == tileHeight && tile.image.layout == .rgb && tile.image.bitDepth == 8,
                         "contact-sheet tiles must be 8-bit RGB of one size")
            guard case .eightBit(let source) = tile.image.samples else { continue }
            let left = gap + (k % columns) * (tileWidth + gap), top = titleHeight + (k / columns) * (tileHeight + captionHeight + gap)
            for row in 0..<tileHeight {
                let from = 3 * row * tileWidth, to = 3 * ((top + row) * width + left)
                canvas.pixels.replaceSubrange(to..<to + 3 * tileWidth, with: source[from..<from + 3 * tileWidth])
            }
            let name = String(tile.name.suffix(charactersPerTile))
            canvas.text(name, x: left, y: top + tileHeight + gap, scale: textScale, color: (235, 235, 235))
        }
        return canvas.image
    }
}
