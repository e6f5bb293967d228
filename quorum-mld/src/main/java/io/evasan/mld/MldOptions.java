package io.evasan.mld;

/**
 * Where in each quorum area the MLD lives and how many mirrored copies to keep.
 *
 * @param maxCopies    quorum areas written per commit (the first available ones in the order
 *                     given; the caller interleaves disk groups so copies spread over groups)
 * @param regionOffset start of the MLD region inside each quorum area (multiple of 512)
 * @param regionLength length of the region; {@code <= 0} means "to the end of the area"
 */
public record MldOptions(int maxCopies, long regionOffset, long regionLength) {
    public static final int DEFAULT_COPIES = 3;

    public MldOptions {
        if (maxCopies < 1) {
            throw new IllegalArgumentException("maxCopies must be >= 1: " + maxCopies);
        }
        if (regionOffset < 0 || regionOffset % 512 != 0) {
            throw new IllegalArgumentException("regionOffset must be a non-negative multiple of 512: " + regionOffset);
        }
    }

    public static MldOptions defaults() {
        return new MldOptions(DEFAULT_COPIES, 0, 0);
    }

    public MldOptions withCopies(int copies) {
        return new MldOptions(copies, regionOffset, regionLength);
    }
}
