package io.evasan.bench.mapping;

import io.evasan.mapping.LogicalDisk;
import io.evasan.mapping.Mapping;
import io.evasan.mapping.impl.MappingImpl;
import io.evasan.raid.rstore.RaidLevel;

/**
 * Memory of the mapping structures: 100 thin LUNs of 2 TB plus one LUN with 100 GB allocated
 * (RAID0 on a real pool of sparse drives). Bytes are counted by accounting the mapping's own
 * arrays ({@link Mapping#mappingBytes()}: L2MAP reference arrays, 8 KB LMAPs, RSD-table arrays,
 * a fixed per-disk object estimate; 16-byte array headers, 4-byte compressed references); the
 * RAID layer's RSD objects are the RAID layer's and are not included. A JVM heap delta (which
 * does include them and the RAID layer's other per-RStore state) is printed beside it.
 * Target (seed 004 [0071]): at most 7 B per allocated MB plus 4 KB per LUN.
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar io.evasan.bench.mapping.MappingMemoryBench [allocatedGb] [thinLuns]}
 */
public final class MappingMemoryBench {
    public static void main(String[] args) throws Exception {
        long allocatedGb = args.length > 0 ? Long.parseLong(args[0]) : 100;
        int thin = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        try (MappingBenchSupport s = new MappingBenchSupport(allocatedGb)) {
            Mapping m = s.mapping;
            long empty = m.mappingBytes();
            for (int i = 0; i < thin; i++) {
                m.create("thin" + i, Mapping.MAX_LUN_BYTES, RaidLevel.RAID0);
            }
            long withThin = m.mappingBytes();
            LogicalDisk big = m.create("big", Mapping.MAX_LUN_BYTES, RaidLevel.RAID0);
            long bigEmpty = m.mappingBytes();
            long heap0 = usedHeap();
            long t0 = System.nanoTime();
            MappingBenchSupport.allocate(big, allocatedGb * 1024);
            long fillMs = (System.nanoTime() - t0) / 1_000_000;
            long heap1 = usedHeap();
            long all = m.mappingBytes();
            long allocatedMb = allocatedGb * 1024;
            double perLun = (double) (withThin - empty) / thin;
            double perMb = (double) (all - bigEmpty) / allocatedMb;
            long rsd = ((MappingImpl) m).rsdTableBytes();
            double budget = 7.0 * allocatedMb + 4096.0 * (thin + 1);
            System.out.printf("mapping memory: %d thin 2 TB LUNs + 1 LUN with %d GB allocated (%d MB, %d RStores)%n",
                    thin, allocatedGb, allocatedMb, big.heldSegments() / 8);
            System.out.printf("  per thin LUN            : %.1f B   (target <= 4096 B, ratio %.3f)%n", perLun, perLun / 4096);
            System.out.printf("  per allocated MB        : %.2f B   (target <= 7 B, ratio %.3f)%n", perMb, perMb / 7.0);
            System.out.printf("    of which RSD tables   : %.2f B/MB (%d B)%n", (double) rsd / allocatedMb, rsd);
            System.out.printf("  total mapping bytes     : %d B   (budget 7 B/MB + 4 KB/LUN = %.0f B, ratio %.3f)%n",
                    all, budget, all / budget);
            System.out.printf("  JVM heap delta while allocating (incl. RAID layer RSDs, rough): %.2f B/MB%n",
                    (double) (heap1 - heap0) / allocatedMb);
            System.out.printf("  set-up: %d segments allocated in %d ms%n", allocatedMb, fillMs);
            long logBytes = ((MappingImpl) m).pldmcLog().sizeBytes();
            m.close();
            long r0 = System.nanoTime();
            try (Mapping again = io.evasan.mapping.Mappings.open(s.pool, s.dir.resolve("state"),
                    io.evasan.mapping.MappingOptions.defaults())) {
                long openMs = (System.nanoTime() - r0) / 1_000_000;
                System.out.printf("  restart: reopen (MLD + replay of a %d-byte PLDMC log, %d LUNs) in %d ms; held segments %d%n",
                        logBytes, again.list().size(), openMs, again.disk("big").heldSegments());
            }
        }
    }

    static long usedHeap() throws InterruptedException {
        Runtime r = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return r.totalMemory() - r.freeMemory();
    }
}
