package io.evasan.sharing;

import io.evasan.mapping.Mapping;
import io.evasan.mapping.MappingOptions;
import io.evasan.mapping.Mappings;
import io.evasan.raid.Pool;
import io.evasan.sharing.impl.SharingTreesImpl;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Path;

/**
 * Child JVM of {@link ThinLunHeapTest}: over a real pool, mapping and sharing tree, creates {@code warm} thin
 * LUNs of {@link Mapping#MAX_LUN_BYTES} (2 TiB), measures the GC-settled heap, creates {@code luns} more,
 * measures again and prints {@code HEAP_PER_LUN <bytes>} (the growth divided by {@code luns}) and
 * {@code LUNS <total>}. Args: dir warm luns. Also the measurement of the bench {@code ThinLunHeapBench}.
 */
public final class ThinLunHeapChild {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int warm = Integer.parseInt(args[1]);
        int luns = Integer.parseInt(args[2]);
        int segments = (int) (Mapping.MAX_LUN_BYTES / Mapping.SEGMENT_BYTES);
        try (Pool pool = MappingIntegrationTest.pool(dir.resolve("pool"), 64);
             Mapping m = Mappings.open(pool, dir.resolve("state"), MappingOptions.defaults().withFsync(false));
             SharingTreesImpl st = new SharingTreesImpl(MappingIntegrationTest.maps(pool, m),
                     SharingConfig.defaults().withBackground(false), SharingStats.standalone())) {
            for (int i = 0; i < warm; i++) {
                st.createLun(segments);
            }
            long before = settledHeap();
            for (int i = 0; i < luns; i++) {
                st.createLun(segments);
            }
            long after = settledHeap();
            System.out.println("HEAP_PER_LUN " + (after - before) / luns);
            System.out.println("LUNS " + st.disks().size());
        }
    }

    /** Heap used after full GCs, the lowest of several (what is still reachable). */
    static long settledHeap() throws InterruptedException {
        MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 6; i++) {
            System.gc();
            Thread.sleep(20);
            best = Math.min(best, mx.getHeapMemoryUsage().getUsed());
        }
        return best;
    }
}
