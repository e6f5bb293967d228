package io.evasan.bench.mapping;

import io.evasan.mapping.Mapping;
import io.evasan.mapping.MappingOptions;
import io.evasan.mapping.Mappings;
import io.evasan.raid.DriveSpec;
import io.evasan.raid.GroupSpec;
import io.evasan.raid.Pool;
import io.evasan.raid.PoolSpec;
import io.evasan.raid.Pools;
import io.evasan.raid.rstore.RaidLevel;
import io.evasan.sharing.SharingConfig;
import io.evasan.sharing.SharingStats;
import io.evasan.sharing.impl.SharingTreesImpl;
import io.evasan.sharing.spi.impl.MappingSegmentMaps;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Heap per thin LUN (issue 18 goal 1): creates {@code luns} thin LUNs of 2 TiB through the sharing tree over the
 * mapping and a real pool (the appliance's LUN path below the controller), prints the GC-settled heap growth
 * per LUN beside the 4 KB budget as a ratio, the create time, then closes everything and reopens the pool,
 * mapping and sharing tree with those LUNs: open time (goal: 10,000 LUNs reopen in at most 10 s) and heap per
 * LUN after the reopen. Every LUN create forces the MLD twice: run with {@code -Djava.io.tmpdir=/dev/shm} to
 * measure the structures, not the disk.
 *
 * <p>Run: {@code java -Xmx4g -Djava.io.tmpdir=/dev/shm -cp bench/target/benchmarks.jar
 * io.evasan.bench.mapping.ThinLunBench [luns]}
 */
public final class ThinLunBench {
    private static final double BUDGET = 4096;
    private static final String PREFIX = "st-";

    public static void main(String[] args) throws Exception {
        int luns = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int segments = (int) (Mapping.MAX_LUN_BYTES / Mapping.SEGMENT_BYTES);
        Path dir = Files.createTempDirectory("evasan-thinlun-bench");
        List<DriveSpec> drives = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            drives.add(DriveSpec.file(String.format("drives/d%02d.img", i), 256 * MappingBenchSupport.MB));
        }
        try (Pool pool = Pools.create(dir.resolve("pool"), new PoolSpec(List.of(new GroupSpec("dg0", drives))))) {
            int group = pool.diskGroups().get(0).id();
            long heap0;
            long createMs;
            long heap1;
            try (Mapping m = Mappings.open(pool, dir.resolve("state"), MappingOptions.defaults().withFsync(false));
                 SharingTreesImpl st = trees(m, pool, group)) {
                heap0 = MappingMemoryBench.usedHeap();
                long t0 = System.nanoTime();
                for (int i = 0; i < luns; i++) {
                    st.createLun(segments);
                }
                createMs = (System.nanoTime() - t0) / 1_000_000;
                heap1 = MappingMemoryBench.usedHeap();
            }
            double perLun = (double) (heap1 - heap0) / luns;
            System.out.printf("thin LUNs of 2 TiB through the sharing tree: %d%n", luns);
            System.out.printf("  heap per thin LUN (GC-settled): %.0f B   (budget <= 4096 B, ratio %.3f)%n", perLun, perLun / BUDGET);
            System.out.printf("  create: %d ms (%.2f ms per LUN)%n", createMs, (double) createMs / luns);
            long r0 = System.nanoTime();
            try (Mapping again = Mappings.open(pool, dir.resolve("state"), MappingOptions.defaults());
                 SharingTreesImpl st = trees(again, pool, group)) {
                long openMs = (System.nanoTime() - r0) / 1_000_000;
                long heapOpen = MappingMemoryBench.usedHeap();
                double perLunOpen = (double) (heapOpen - heap0) / st.disks().size();
                System.out.printf("  reopen (mapping + sharing tree) with %d LUNs: %d ms   (goal <= 10000 ms with 10,000 LUNs, ratio %.3f)%n",
                        st.disks().size(), openMs, openMs / 10_000.0);
                System.out.printf("  heap per LUN after the reopen (vs the empty engine before): %.0f B   (budget <= 4096 B, ratio %.3f)%n",
                        perLunOpen, perLunOpen / BUDGET);
            }
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static SharingTreesImpl trees(Mapping m, Pool pool, int group) {
        return new SharingTreesImpl(new MappingSegmentMaps(m, pool, group, RaidLevel.RAID0, PREFIX),
                SharingConfig.defaults().withBackground(false), SharingStats.standalone());
    }
}
