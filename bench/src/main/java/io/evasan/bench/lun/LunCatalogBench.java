package io.evasan.bench.lun;

import io.evasan.mapping.Mapping;
import io.evasan.mapping.MappingOptions;
import io.evasan.mapping.Mappings;
import io.evasan.mld.Mld;
import io.evasan.mld.MldBatch;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.LunStore;
import io.evasan.nsc.lun.LunTableDescriptor;
import io.evasan.nsc.lun.impl.MldLunStore;
import io.evasan.nsc.lun.impl.StoredLunTable;
import io.evasan.raid.DriveSpec;
import io.evasan.raid.GroupSpec;
import io.evasan.raid.Pool;
import io.evasan.raid.PoolSpec;
import io.evasan.raid.Pools;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * LUN create cost in the catalogue (issue 18 goal 4): the controller's LUN table ({@link StoredLunTable})
 * over the mapping's mirrored MLD on a real pool, timing {@code samples} creates with {@code small} and
 * with {@code large} LUNs already in the table (one pool each, rounds alternating between them, the
 * median round), and their ratio (goal about 1×: a create commits one
 * record, the MLD appends it to its log). The same run times the whole-table record of earlier releases
 * ({@link WholeTableStore}: every create re-encodes and commits the table) beside it, and the issue's
 * figures measured before.
 *
 * <p>Run: {@code java -Djava.io.tmpdir=/dev/shm -cp bench/target/benchmarks.jar io.evasan.bench.lun.LunCatalogBench
 * [small large samples]} (defaults 1000 5000 1500).
 */
public final class LunCatalogBench {
    private static final long MB = 1L << 20;

    public static void main(String[] args) throws Exception {
        int small = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int large = args.length > 1 ? Integer.parseInt(args[1]) : 5000;
        int samples = args.length > 2 ? Integer.parseInt(args[2]) : 1500;
        Path dir = Files.createTempDirectory("evasan-luncatalog-bench");
        List<Setup> setups = new ArrayList<>();
        try {
            setups.add(new Setup(dir.resolve("rec-small"), true, small));
            setups.add(new Setup(dir.resolve("rec-large"), true, large));
            setups.add(new Setup(dir.resolve("whole-small"), false, small));
            setups.add(new Setup(dir.resolve("whole-large"), false, large));
            int perRound = Math.max(1, samples / ROUNDS);
            double[][] rounds = new double[setups.size()][ROUNDS];
            for (int r = 0; r < ROUNDS; r++) { // alternate, so that the machine's load changes hit every setup alike
                for (int s = 0; s < setups.size(); s++) {
                    rounds[s][r] = setups.get(s).msPerCreate(perRound, r);
                }
            }
            double[] ms = new double[setups.size()];
            for (int s = 0; s < setups.size(); s++) {
                java.util.Arrays.sort(rounds[s]);
                ms[s] = rounds[s][ROUNDS / 2];
            }
            System.out.printf("LUN create in the catalogue (StoredLunTable on a pool's mirrored MLD, 3 copies; one pool per row"
                    + " and size), %d creates each, median of %d alternating rounds, load average %s:%n", perRound * ROUNDS,
                    ROUNDS, Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
            System.out.printf("  one record per LUN (now):  %.3f ms at %,d LUNs, %.3f ms at %,d   ratio %.2f× (goal ≈ 1×)%n",
                    ms[0], small, ms[1], large, ms[1] / ms[0]);
            System.out.printf("  whole-table record (the old catalogue form, on the new MLD log): %.3f ms at %,d LUNs, %.3f ms at %,d"
                    + "   ratio %.2f×%n", ms[2], small, ms[3], large, ms[3] / ms[2]);
            System.out.printf("  issue 18, measured before (whole table, MLD rewritten whole): 4.5 ms at 1,000 LUNs, 13.6 ms at 5,000"
                    + "   ratio 3.02×%n");
        } finally {
            for (Setup s : setups) {
                s.close();
            }
            try (Stream<Path> st = Files.walk(dir)) {
                for (Path p : st.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static final int ROUNDS = 15;

    /** A pool, its mapping (and MLD) and a LUN table filled to a size, in one form. */
    private static final class Setup implements AutoCloseable {
        private final Pool pool;
        private final Mapping mapping;
        private final StoredLunTable table;
        private final int existing;

        Setup(Path dir, boolean perRecord, int existing) {
            List<DriveSpec> drives = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                drives.add(DriveSpec.file(String.format("drives/d%02d.img", i), 256 * MB));
            }
            this.pool = Pools.create(dir.resolve("pool"), new PoolSpec(List.of(new GroupSpec("dg0", drives))));
            this.mapping = Mappings.open(pool, dir.resolve("state"), MappingOptions.defaults().withFsync(false));
            Mld mld = mapping.mld();
            this.table = StoredLunTable.open(perRecord ? new MldLunStore(mld, "nsc0") : new WholeTableStore(mld, "nsc0"));
            this.existing = existing;
            for (int i = 0; i < existing; i++) {
                table.create("fill-" + i, LunRecord.Kind.PRIMARY, i, MB);
            }
        }

        /** Times {@code n} creates, then removes them again (untimed); ms per create. */
        double msPerCreate(int n, int round) {
            List<Integer> made = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                made.add(table.create("timed-" + round + "-" + i, LunRecord.Kind.PRIMARY, existing + i, MB).id());
            }
            double ms = (System.nanoTime() - t0) / 1e6 / n;
            for (int id : made) {
                table.remove(id);
            }
            return ms;
        }

        @Override
        public void close() {
            mapping.close();
            pool.close();
        }
    }

    /**
     * The form before issue 18 goal 4: the whole table encoded ({@link LunTableDescriptor}) as one MLD
     * record, rewritten on every change. Kept here only as the benchmark's comparison.
     */
    static final class WholeTableStore implements LunStore {
        private final Mld mld;
        private final String key;

        WholeTableStore(Mld mld, String key) {
            this.mld = mld;
            this.key = key;
        }

        @Override
        public LunTableDescriptor.Content load() {
            return mld.get("bench.luns.whole", key).map(LunTableDescriptor::decode).orElse(null);
        }

        @Override
        public void store(LunTableDescriptor.Content previous, LunTableDescriptor.Content next) {
            mld.commit(new MldBatch().put("bench.luns.whole", key, LunTableDescriptor.encode(next)));
        }

        @Override
        public String describe() {
            return "MLD record bench.luns.whole/" + key;
        }
    }
}
