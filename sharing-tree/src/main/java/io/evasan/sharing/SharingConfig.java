package io.evasan.sharing;

/**
 * Settings of the sharing-tree engine.
 *
 * @param maxDisksPerTree     most disks in one tree (LUN + snapshots + snapclones); at least 257
 * @param bgcopyBytesPerSecond BGCOPY throttle; 0 = unthrottled
 * @param quiesceThresholdM   Fig. 15d: quiesce and finish when fewer than M segments remain to copy
 * @param bgcopyBackground    run BGCOPY on a background thread (false: only {@code bgcopyStep} copies)
 * @param bgcopyBatch         segments per BGCOPY step of the background thread
 */
public record SharingConfig(int maxDisksPerTree, long bgcopyBytesPerSecond, int quiesceThresholdM,
                            boolean bgcopyBackground, int bgcopyBatch) {
    public SharingConfig {
        if (maxDisksPerTree < 2 || quiesceThresholdM < 1 || bgcopyBytesPerSecond < 0 || bgcopyBatch < 1) {
            throw new IllegalArgumentException("bad sharing config");
        }
    }

    public static SharingConfig defaults() {
        return new SharingConfig(1024, 0, 64, true, 16);
    }

    public SharingConfig withBackground(boolean on) {
        return new SharingConfig(maxDisksPerTree, bgcopyBytesPerSecond, quiesceThresholdM, on, bgcopyBatch);
    }

    public SharingConfig withQuiesceThreshold(int m) {
        return new SharingConfig(maxDisksPerTree, bgcopyBytesPerSecond, m, bgcopyBackground, bgcopyBatch);
    }

    public SharingConfig withMaxDisksPerTree(int n) {
        return new SharingConfig(n, bgcopyBytesPerSecond, quiesceThresholdM, bgcopyBackground, bgcopyBatch);
    }

    public SharingConfig withRate(long bytesPerSecond) {
        return new SharingConfig(maxDisksPerTree, bytesPerSecond, quiesceThresholdM, bgcopyBackground, bgcopyBatch);
    }
}
