package io.evasan.bench.raid;

import io.evasan.raid.Pool;
import io.evasan.raid.Pools;
import io.evasan.raid.Rebuild;
import io.evasan.raid.bitmap.BitmapDescriptor;
import io.evasan.raid.bitmap.impl.WriteIntentBitmap;
import io.evasan.raid.impl.DiskGroupImpl;
import io.evasan.raid.rstore.RStore;
import io.evasan.raid.rstore.RaidLevel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Recovery after an unclean stop, with the write-intent bitmap and without it, for a small and a
 * larger allocated disk group in the same run. Per group size: RAID5 RStores allocated, each
 * written once and flushed, the bitmap allowed to clear (two clearing passes), then writes to
 * {@value #HOT} RStores and a crash (the pool abandoned unclosed, as kill -9 leaves it: page cache
 * kept); the reopen's resync is timed (from the open's return, which started it, to its end; the
 * open itself, which scans the PSEG tables, is printed apart) and its rows counted. Then the same
 * crash again with the bitmap file deleted: the full resync of every allocated row, as before the
 * bitmap. Prints both and their ratio, and the bitmap recovery of the larger group over the
 * smaller (the goal: about 1, recovery in proportion to what was in flight, not to capacity).
 *
 * <p>Run: {@code mvn -q -pl bench -am package -DskipTests &&
 * java -cp bench/target/benchmarks.jar io.evasan.bench.raid.ResyncBench [smallMiB] [largeMiB] [dir]}
 */
public final class ResyncBench {
    private static final int HOT = 8;
    private static final long PSEG = 2L << 20;

    private ResyncBench() {
    }

    /** Rows of one reopen's resync, milliseconds from open's return to the resync's end, and of the open itself. */
    private record Recovery(long rows, long millis, long openMillis) {
    }

    public static void main(String[] args) throws Exception {
        long smallMiB = args.length > 0 ? Long.parseLong(args[0]) : 1024;
        long largeMiB = args.length > 1 ? Long.parseLong(args[1]) : 8192;
        Path root = args.length > 2 ? Path.of(args[2]) : Path.of(System.getProperty("java.io.tmpdir"));
        // the abandoned (crashed) pools must not clear bits under the reopened ones
        System.setProperty(WriteIntentBitmap.QUIET_MILLIS_PROPERTY, Long.toString(TimeUnit.HOURS.toMillis(1)));
        run(root, Math.min(smallMiB, 256), false); // warm-up (JIT), not reported
        Recovery[] small = run(root, smallMiB, true);
        Recovery[] large = run(root, largeMiB, true);
        System.out.printf("bitmap recovery, %d MiB vs %d MiB allocated: %.2f× the time (%d vs %d rows); goal: about 1×"
                + " (full resync: %.2f×)%n", largeMiB, smallMiB, (double) large[0].millis / Math.max(1, small[0].millis),
                large[0].rows, small[0].rows, (double) large[1].millis / Math.max(1, small[1].millis));
    }

    private static Recovery[] run(Path root, long allocatedMiB, boolean print) throws Exception {
        int stores = (int) (allocatedMiB / (RStore.SIZE_BYTES >> 20));
        Path dir = Files.createTempDirectory(root, "resync-bench-");
        try {
            long perDrive = (stores * 5L / 6 + 16) * PSEG * 21 / 20 + (64L << 20);
            List<RStore> list = new ArrayList<>();
            Pool crashed = Pools.create(dir, spec(perDrive), new SimpleMeterRegistry());
            DiskGroupImpl g = (DiskGroupImpl) crashed.diskGroup(0);
            ByteBuffer block = ByteBuffer.allocate(4096);
            for (int i = 0; i < stores; i++) {
                RStore s = g.allocate(RaidLevel.RAID5);
                s.write(0, block.clear());
                list.add(s);
            }
            g.flush();
            g.intent().clearQuiet();
            g.intent().clearQuiet();
            crash(list, block);
            Recovery withBitmap = reopen(dir);
            // crash again (the reopen above stopped cleanly), this time without the bitmap: every allocated
            // row is resynchronised
            Pool again = Pools.open(dir, new SimpleMeterRegistry());
            DiskGroupImpl g2 = (DiskGroupImpl) again.diskGroup(0);
            List<RStore> list2 = new ArrayList<>();
            for (RStore s : list) {
                list2.add(g2.rstore(s.rsdId()));
            }
            crash(list2, block);
            Files.delete(dir.resolve(BitmapDescriptor.fileName(0)));
            Recovery full = reopen(dir);
            if (print) {
                System.out.printf("%6d MiB allocated (%d RAID5 RStores, %d written at the crash): bitmap resync %d rows in %d ms;"
                        + " full resync %d rows in %d ms; bitmap/full %.3f× the time, %.3f× the rows (open before the"
                        + " resync %d ms)%n", allocatedMiB, stores, HOT, withBitmap.rows, withBitmap.millis, full.rows,
                        full.millis,
                        (double) withBitmap.millis / Math.max(1, full.millis), (double) withBitmap.rows / full.rows,
                        withBitmap.openMillis);
            }
            return new Recovery[] {withBitmap, full};
        } finally {
            delete(dir);
        }
    }

    private static io.evasan.raid.PoolSpec spec(long perDrive) {
        List<io.evasan.raid.DriveSpec> d = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            d.add(io.evasan.raid.DriveSpec.file(String.format("drives/d%02d.img", i), perDrive));
        }
        return new io.evasan.raid.PoolSpec(List.of(new io.evasan.raid.GroupSpec("dg0", d)));
    }

    /** Writes to HOT RStores spread over the group, then abandons the pool unclosed (kill -9 keeps the page cache). */
    private static void crash(List<RStore> list, ByteBuffer block) {
        for (int i = 0; i < HOT; i++) {
            RStore s = list.get((int) ((long) i * list.size() / HOT));
            s.write(RStore.SIZE_BYTES / 2, block.clear());
        }
    }

    /** Opens after a crash, waits for the resync, stops cleanly; returns the resync's rows and the open-to-done time. */
    private static Recovery reopen(Path dir) throws Exception {
        long t0 = System.nanoTime();
        Pool p = Pools.open(dir, new SimpleMeterRegistry());
        long t1 = System.nanoTime();
        Rebuild rs = ((DiskGroupImpl) p.diskGroup(0)).lastResync();
        rs.await();
        long ms = (System.nanoTime() - t1) / 1_000_000;
        if (rs.failure() != null) {
            throw new IllegalStateException("resync failed", rs.failure());
        }
        long rows = rs.total();
        p.close();
        return new Recovery(rows, ms, (t1 - t0) / 1_000_000);
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
