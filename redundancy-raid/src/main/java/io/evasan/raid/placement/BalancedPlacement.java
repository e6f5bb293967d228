package io.evasan.raid.placement;

import io.evasan.raid.pseg.PsegAllocator;
import io.evasan.raid.rsd.Rsd;
import io.evasan.raid.rss.Rss;
import io.evasan.raid.rstore.RaidLevel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@link Placement#balanced}: prefers the drives with the largest deficit against their
 * capacity-proportional share of the used PSEGs. Keeps the invariants of {@link Placement};
 * callers hold the disk group's allocation lock.
 */
final class BalancedPlacement implements Placement {
    private final Drives drives;

    BalancedPlacement(Drives drives) {
        this.drives = drives;
    }

    private boolean eligible(int drive) {
        return drives.eligible(drive);
    }

    private PsegAllocator alloc(int drive) {
        return drives.allocator(drive);
    }

    double[] deficits(int extra) {
        int count = drives.count();
        long used = 0;
        long cap = 0;
        for (int i = 0; i < count; i++) {
            if (alloc(i) != null && eligible(i)) {
                used += alloc(i).used();
                cap += alloc(i).count();
            }
        }
        double[] def = new double[count];
        for (int i = 0; i < count; i++) {
            if (alloc(i) != null && eligible(i) && cap > 0) {
                def[i] = (double) (used + extra) * alloc(i).count() / cap - alloc(i).used();
            } else {
                def[i] = Double.NEGATIVE_INFINITY;
            }
        }
        return def;
    }

    /** Picks drives of {@code r} for {@code count} single members, avoiding {@code exclude}; null if impossible. */
    int[] pickSingles(Rss r, int count, Set<Integer> exclude, double[] def) {
        List<Integer> c = new ArrayList<>();
        for (int s = 0; s < Rss.MAX_DRIVES; s++) {
            int d = r.drive(s);
            if (d >= 0 && eligible(d) && !exclude.contains(d) && alloc(d).free() > 0) {
                c.add(d);
            }
        }
        if (c.size() < count) {
            return null;
        }
        c.sort((x, y) -> def[x] != def[y] ? Double.compare(def[y], def[x]) : Integer.compare(x, y));
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            out[i] = c.get(i);
        }
        Arrays.sort(out);
        return out;
    }

    /** Picks {@code count} RAID1 pairs (even slot, odd slot) of {@code r}; flattened, null if impossible. */
    int[] pickPairs(Rss r, int count, Set<Integer> exclude, double[] def) {
        List<int[]> c = new ArrayList<>();
        for (int k = 0; k < Rss.MAX_DRIVES / 2; k++) {
            int a = r.drive(2 * k);
            int b = r.drive(2 * k + 1);
            if (a >= 0 && b >= 0 && eligible(a) && eligible(b) && !exclude.contains(a) && !exclude.contains(b)
                    && alloc(a).free() > 0 && alloc(b).free() > 0) {
                c.add(new int[] {a, b, k});
            }
        }
        if (c.size() < count) {
            return null;
        }
        c.sort((x, y) -> {
            double dx = def[x[0]] + def[x[1]];
            double dy = def[y[0]] + def[y[1]];
            return dx != dy ? Double.compare(dy, dx) : Integer.compare(x[2], y[2]);
        });
        List<int[]> chosen = new ArrayList<>(c.subList(0, count));
        chosen.sort((x, y) -> Integer.compare(x[2], y[2]));
        int[] out = new int[count * 2];
        for (int i = 0; i < count; i++) {
            out[2 * i] = chosen.get(i)[0];
            out[2 * i + 1] = chosen.get(i)[1];
        }
        return out;
    }

    int usableCount(Rss r) {
        int n = 0;
        for (int s = 0; s < Rss.MAX_DRIVES; s++) {
            if (r.drive(s) >= 0 && eligible(r.drive(s))) {
                n++;
            }
        }
        return n;
    }

    int usablePairs(Rss r) {
        int n = 0;
        for (int k = 0; k < Rss.MAX_DRIVES / 2; k++) {
            int a = r.drive(2 * k);
            int b = r.drive(2 * k + 1);
            if (a >= 0 && b >= 0 && eligible(a) && eligible(b)) {
                n++;
            }
        }
        return n;
    }


    @Override
    public Choice forNewRStore(List<Rss> rssList, RaidLevel level) {
        int n = level.totalPsegs();
        double[] def = deficits(n);
        int[] bestDrives = null;
        Rss bestRss = null;
        double bestScore = Double.NEGATIVE_INFINITY;
        boolean bigEnough = false;
        for (Rss r : rssList) {
            if (r.count() < Rss.MIN_DRIVES) {
                continue;
            }
            boolean fits = level == RaidLevel.RAID1 ? usablePairs(r) >= n / 2 : usableCount(r) >= n;
            if (!fits) {
                continue;
            }
            bigEnough = true;
            int[] pick = level == RaidLevel.RAID1 ? pickPairs(r, n / 2, Set.of(), def)
                    : pickSingles(r, n, Set.of(), def);
            if (pick == null) {
                continue;
            }
            double score = 0;
            for (int d : pick) {
                score += def[d];
            }
            if (bestDrives == null || score > bestScore) {
                bestDrives = pick;
                bestRss = r;
                bestScore = score;
            }
        }
        return new Choice(bestRss, bestDrives, bigEnough);
    }

    @Override
    public int parityRotation(RaidLevel level, long rsdId) {
        return level == RaidLevel.RAID5 ? (int) (rsdId % 5) : -1;
    }

    @Override
    public int[][] replacements(Rsd r, Rss rss, int mask, int inPlace) {
        int n = r.members();
        int[] nd = r.drives();
        int[] np = r.psegs();
        Set<Integer> exclude = new HashSet<>();
        for (int m = 0; m < n; m++) {
            exclude.add(r.drive(m));
        }
        if (rss == null) {
            return null;
        }
        double[] def = deficits(Integer.bitCount(mask & ~inPlace));
        int[] pick;
        int moving = mask & ~inPlace;
        if (r.level() == RaidLevel.RAID1 && moving != 0) {
            // whole pairs move to a free healthy drive pair (keeps pairs on slots 2k/2k+1);
            // if no complete pair is free, the pair's members go to any two free drives
            int pairs = Integer.bitCount(moving) / 2;
            pick = pickPairs(rss, pairs, exclude, def);
            if (pick == null) {
                pick = pickSingles(rss, Integer.bitCount(moving), exclude, def);
            }
        } else {
            pick = moving == 0 ? new int[0] : pickSingles(rss, Integer.bitCount(moving), exclude, def);
        }
        if (pick == null) {
            return null;
        }
        int k = 0;
        for (int m = 0; m < n; m++) {
            if ((moving & (1 << m)) != 0) {
                nd[m] = pick[k++];
                np[m] = alloc(nd[m]).allocate();
            }
        }
        return new int[][] {nd, np};
    }
}
