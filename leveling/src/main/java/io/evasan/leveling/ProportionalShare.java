package io.evasan.leveling;

import io.evasan.raid.rstore.RaidLevel;

import java.util.List;

/**
 * The leveling goal ([0076]): within each RSS and for each RAID level (RStore class), a drive's members of
 * that level are proportional to its capacity. Deviation of drive d = used(d) - total * capacity(d) /
 * capacity(universe). Invariant of the computation: the deviations of one (RSS, level) sum to zero, so once
 * max - min &lt;= 1 every |deviation| &lt;= 1 ("within one PSEG per drive per RStore class").
 */
public final class ProportionalShare {
    /** Slack for floating-point comparisons of deviations. */
    static final double EPS = 1e-9;

    private ProportionalShare() {
    }

    /** Deviation per drive index for one RSS position and level; NaN for drives outside its universe. */
    public static double[] deviations(GroupLayout l, int rss, RaidLevel level) {
        List<Integer> u = l.universe(rss, level);
        int[] used = l.used(rss, level);
        double[] dev = new double[l.drives()];
        java.util.Arrays.fill(dev, Double.NaN);
        long total = 0;
        long cap = 0;
        for (int d : u) {
            total += used[d];
            cap += l.capacity[d];
        }
        for (int d : u) {
            dev[d] = cap == 0 ? 0 : used[d] - (double) total * l.capacity[d] / cap;
        }
        return dev;
    }

    /** The largest |deviation| over every RSS, level and drive of the layout (0 for an empty group). */
    public static double worst(GroupLayout l) {
        double w = 0;
        for (int rss = 0; rss < l.rssCount(); rss++) {
            for (RaidLevel level : RaidLevel.values()) {
                for (double v : deviations(l, rss, level)) {
                    if (!Double.isNaN(v)) {
                        w = Math.max(w, Math.abs(v));
                    }
                }
            }
        }
        return w;
    }

    /** True if every drive is within one PSEG of its share for every RSS and level. */
    public static boolean balanced(GroupLayout l) {
        return worst(l) <= 1 + EPS;
    }
}
