package io.evasan.bench.sharing;

import io.evasan.mapping.LogicalDisk;
import io.evasan.mapping.Mapping;
import io.evasan.mapping.MappingOptions;
import io.evasan.mapping.Mappings;
import io.evasan.raid.DriveSpec;
import io.evasan.raid.GroupSpec;
import io.evasan.raid.Pool;
import io.evasan.raid.PoolSpec;
import io.evasan.raid.Pools;
import io.evasan.raid.rstore.RaidLevel;
import io.evasan.sharing.AllocationPolicy;
import io.evasan.sharing.BgCopyState;
import io.evasan.sharing.DeleteOption;
import io.evasan.sharing.SharingConfig;
import io.evasan.sharing.SharingStats;
import io.evasan.sharing.SnapcloneMode;
import io.evasan.sharing.impl.SharingTreesImpl;
import io.evasan.sharing.spi.impl.MappingSegmentMaps;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Sharing-tree benchmarks over the real mapping and a RAID0 pool of sparse drive files, each
 * figure printed beside its comparison from the same run:
 * <ol>
 *   <li>{@code create}: snapshot creation of a LUN with 1 GB mapped vs one with 1 TB mapped
 *       (target ratio &lt;= 10, 1 TB &lt; 100 ms);</li>
 *   <li>{@code overwrite}: first full overwrite after a snapshot vs an overwrite without one
 *       (target &lt;= 2.2x), 1 MB writes, and 64 KB writes for reference;</li>
 *   <li>{@code bgcopy}: unthrottled BGCOPY rate vs a raw file copy of the same size (target &gt;= 0.5x).</li>
 * </ol>
 * Usage: {@code java -cp bench/target/benchmarks.jar io.evasan.bench.sharing.SharingBench [workDir] [create|overwrite|bgcopy|all] [lunMB]}
 */
public final class SharingBench {
    static final int SEG = 1 << 20;
    static boolean fsync = true;

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args.length > 0 ? args[0] : System.getProperty("java.io.tmpdir") + "/evasan-sharing-bench");
        String what = args.length > 1 ? args[1] : "all";
        int lunMb = args.length > 2 ? Integer.parseInt(args[2]) : 512;
        fsync = !Boolean.getBoolean("evasan.bench.noFsync");
        System.out.println("metadata fsync=" + fsync + " (-Devasan.bench.noFsync=true: durable against process death only, like the data path)");
        if (what.equals("create") || what.equals("all")) {
            create(work.resolve("create"));
        }
        if (what.equals("overwrite") || what.equals("all")) {
            overwrite(work.resolve("overwrite"), lunMb);
        }
        if (what.equals("bgcopy") || what.equals("all")) {
            bgcopy(work.resolve("bgcopy"), lunMb);
        }
    }

    static Pool pool(Path dir, long driveBytes) {
        List<DriveSpec> drives = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            drives.add(DriveSpec.file(String.format("drives/d%02d.img", i), driveBytes));
        }
        return Pools.create(dir, new PoolSpec(List.of(new GroupSpec("dg0", drives))));
    }

    static void clean(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Maps every segment of a sharing-tree LUN without writing data (reserve + link, metadata only). */
    static void mapAll(MappingSegmentMaps maps, long lun, int segments) {
        LogicalDisk d = maps.logicalDisk(lun);
        for (int s = 0; s < segments; s++) {
            long addr = d.reserveRseg(s);
            d.linkRseg(s, 0, addr, 0);
        }
    }

    /**
     * Snapshot creation time vs mapped size, both LUNs in one pool over the real stack (RAID0 pool
     * of 8 sparse drive files, mapping, sharing tree): a LUN with 1 GB mapped and one with
     * {@code -Devasan.bench.largeGb} (default 1024 = 1 TB) mapped. Segments are mapped by metadata
     * only (reserveRseg + linkRseg: a thin LUN whose every segment is allocated and linked; on a
     * fresh pool no PSEG is dirty, so nothing is zero-filled and the sparse drives stay small). The
     * setup runs with the PLDMC fsync off (its durability is not what is measured); the pool and
     * mapping are then closed and reopened with the configured fsync and the snapshots are timed.
     * Then, for reference, the engine's own metadata work over the in-memory SPI (1 GB vs 1 TB).
     */
    static void create(Path dir) throws IOException {
        clean(dir);
        int small = 1024;
        int largeGb = Integer.getInteger("evasan.bench.largeGb", 1024);
        int large = largeGb << 10;
        // data of both LUNs plus slack, over 8 drives, plus each drive's label, quorum area and PSEG table
        long driveBytes = (((long) large + small + 2048) << 20) / 8 + (64L << 20);
        Path poolDir = dir.resolve("pool");
        Path state = dir.resolve("state");
        long a;
        long b;
        long t0 = System.nanoTime();
        try (Pool pool = pool(poolDir, driveBytes);
             Mapping m = Mappings.open(pool, state, MappingOptions.defaults().withFsync(false))) {
            MappingSegmentMaps maps = new MappingSegmentMaps(m, pool, pool.diskGroups().get(0).id(), RaidLevel.RAID0, "st-");
            try (SharingTreesImpl st = new SharingTreesImpl(maps, SharingConfig.defaults().withBackground(false),
                    SharingStats.standalone())) {
                a = st.createLun(small);
                b = st.createLun(large);
                long t1 = System.nanoTime();
                mapAll(maps, a, small);
                long t2 = System.nanoTime();
                mapAll(maps, b, large);
                long t3 = System.nanoTime();
                System.out.printf("setup (real stack, %d x %d GB sparse drives): pool %.1f s; mapped 1 GB in %.1f s, "
                                + "%d GB in %.1f s (%d segments, %d RStores)%n", 8, driveBytes >> 30, (t1 - t0) / 1e9,
                        (t2 - t1) / 1e9, largeGb, (t3 - t2) / 1e9, (long) large + small,
                        pool.diskGroups().get(0).rsdIds().size());
            }
        }
        long t4 = System.nanoTime();
        try (Pool pool = Pools.open(poolDir);
             Mapping m = Mappings.open(pool, state, MappingOptions.defaults().withFsync(fsync))) {
            MappingSegmentMaps maps = new MappingSegmentMaps(m, pool, pool.diskGroups().get(0).id(), RaidLevel.RAID0, "st-");
            try (SharingTreesImpl st = new SharingTreesImpl(maps, SharingConfig.defaults().withBackground(false),
                    SharingStats.standalone())) {
                System.out.printf("reopen (pool, mapping, sharing tree): %.1f s; mapped: %d and %d segments%n",
                        (System.nanoTime() - t4) / 1e9, mappedCount(maps, a), mappedCount(maps, b));
                report("real stack", st, a, b, "1 GB", largeGb >= 1024 && largeGb % 1024 == 0 ? (largeGb >> 10) + " TB"
                        : largeGb + " GB");
            }
        }
        clean(dir);
        int tb = 1 << 20;
        io.evasan.sharing.spi.impl.MemorySegmentMaps mem = new io.evasan.sharing.spi.impl.MemorySegmentMaps(SEG, tb + 4096L);
        try (SharingTreesImpl st = new SharingTreesImpl(mem, SharingConfig.defaults().withBackground(false),
                SharingStats.standalone())) {
            long sa = st.createLun(small);
            long sb = st.createLun(tb);
            for (long[] lun : new long[][]{{sa, small}, {sb, tb}}) {
                for (int s = 0; s < lun[1]; s++) {
                    long r = mem.allocate(lun[0], s, false);
                    mem.link(lun[0], s, 0, r, false, false);
                }
            }
            report("in-memory SPI (engine metadata only)", st, sa, sb, "1 GB", "1 TB");
        }
    }

    static long mappedCount(MappingSegmentMaps maps, long lun) {
        LogicalDisk d = maps.logicalDisk(lun);
        long n = 0;
        for (long s = 0; s < d.segments(); s++) {
            if (io.evasan.mapping.lmap.LmapEntry.holder(d.entry(s))) {
                n++;
            }
        }
        return n;
    }

    static void report(String what, SharingTreesImpl st, long small, long large, String smallName, String largeName) {
        long w = st.createLun(64);
        for (int i = 0; i < 5; i++) {
            st.snapshot(w, AllocationPolicy.ON_DEMAND);
        }
        int runs = 7;
        double[] smallMs = new double[runs];
        double[] largeMs = new double[runs];
        for (int i = 0; i < runs; i++) {
            boolean smallFirst = i % 2 == 0;
            for (int k = 0; k < 2; k++) {
                boolean doSmall = (k == 0) == smallFirst;
                long s0 = System.nanoTime();
                st.snapshot(doSmall ? small : large, AllocationPolicy.ON_DEMAND);
                double ms = (System.nanoTime() - s0) / 1e6;
                if (doSmall) {
                    smallMs[i] = ms;
                } else {
                    largeMs[i] = ms;
                }
            }
        }
        double sm = median(smallMs);
        double lm = median(largeMs);
        System.out.printf("snapshot create, %s: %s mapped %.2f ms, %s mapped %.2f ms (median of 7, alternating order), ratio %.1f%n",
                what, smallName, sm, largeName, lm, lm / sm);
    }

    static double median(double[] v) {
        double[] c = v.clone();
        java.util.Arrays.sort(c);
        return c[c.length / 2];
    }

    static double overwriteOnce(SharingTreesImpl st, long lun, int segments, int ioBytes, byte[] buf) {
        long t0 = System.nanoTime();
        for (long off = 0; off < (long) segments * SEG; off += ioBytes) {
            st.write(lun, off, buf, 0, ioBytes);
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    static void overwrite(Path dir, int lunMb) throws IOException {
        clean(dir);
        try (Pool pool = pool(dir.resolve("pool"), Math.max(1L << 30, (long) lunMb << 20));
             Mapping m = Mappings.open(pool, dir.resolve("state"), MappingOptions.defaults().withFsync(fsync))) {
            MappingSegmentMaps maps = new MappingSegmentMaps(m, pool, pool.diskGroups().get(0).id(), RaidLevel.RAID0, "st-");
            try (SharingTreesImpl st = new SharingTreesImpl(maps, SharingConfig.defaults().withBackground(false),
                    SharingStats.standalone())) {
                for (int io : new int[]{SEG, 64 << 10}) {
                    byte[] buf = new byte[io];
                    new Random(1).nextBytes(buf);
                    long lun = st.createLun(lunMb);
                    overwriteOnce(st, lun, lunMb, io, buf);                       // allocate
                    double plain = overwriteOnce(st, lun, lunMb, io, buf);        // overwrite, no snapshot
                    long snap = st.snapshot(lun, AllocationPolicy.ON_DEMAND);
                    double cfw = overwriteOnce(st, lun, lunMb, io, buf);          // first overwrite after the snapshot
                    System.out.printf("full overwrite of %d MB with %d KB writes: without snapshot %.2f s (%.0f MB/s), "
                                    + "first after snapshot %.2f s (%.0f MB/s), ratio %.2f (target <= 2.2)%n",
                            lunMb, io >> 10, plain, lunMb / plain, cfw, lunMb / cfw, cfw / plain);
                    st.delete(snap, DeleteOption.REFUSE_IF_SNAPSHOTS);
                    st.delete(lun, DeleteOption.REFUSE_IF_SNAPSHOTS);
                }
            }
        }
        clean(dir);
    }

    static void bgcopy(Path dir, int lunMb) throws Exception {
        clean(dir);
        double bg;
        try (Pool pool = pool(dir.resolve("pool"), Math.max(1L << 30, (long) lunMb << 20));
             Mapping m = Mappings.open(pool, dir.resolve("state"), MappingOptions.defaults().withFsync(fsync))) {
            MappingSegmentMaps maps = new MappingSegmentMaps(m, pool, pool.diskGroups().get(0).id(), RaidLevel.RAID0, "st-");
            try (SharingTreesImpl st = new SharingTreesImpl(maps, SharingConfig.defaults().withBackground(true).withRate(0),
                    SharingStats.standalone())) {
                long lun = st.createLun(lunMb);
                byte[] buf = new byte[SEG];
                new Random(2).nextBytes(buf);
                for (int s = 0; s < lunMb; s++) {
                    st.write(lun, (long) s * SEG, buf, 0, SEG);
                }
                long t0 = System.nanoTime();
                long clone = st.snapclone(lun, AllocationPolicy.ON_DEMAND, SnapcloneMode.EAGER);
                while (st.bgcopyProgress(clone).state() != BgCopyState.DONE) {
                    Thread.sleep(2);
                }
                bg = (System.nanoTime() - t0) / 1e9;
            }
        }
        // raw copy of a file of the same size on the same file system, forced to disk like the copy above
        Path src = dir.resolve("raw-src");
        Path dst = dir.resolve("raw-dst");
        try (FileChannel c = FileChannel.open(src, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocateDirect(SEG);
            byte[] r = new byte[SEG];
            new Random(3).nextBytes(r);
            for (int s = 0; s < lunMb; s++) {
                b.clear();
                b.put(r).flip();
                c.write(b);
            }
            c.force(true);
        }
        long t0 = System.nanoTime();
        try (FileChannel in = FileChannel.open(src, StandardOpenOption.READ);
             FileChannel out = FileChannel.open(dst, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocateDirect(SEG);
            while (in.read(b) > 0) {
                b.flip();
                out.write(b);
                b.clear();
            }
            out.force(true);
        }
        double raw = (System.nanoTime() - t0) / 1e9;
        System.out.printf("BGCOPY of %d MB: %.2f s (%.0f MB/s); raw file copy %.2f s (%.0f MB/s); ratio %.2f (target >= 0.5)%n",
                lunMb, bg, lunMb / bg, raw, lunMb / raw, (lunMb / bg) / (lunMb / raw));
        try (RandomAccessFile ignored = new RandomAccessFile(src.toFile(), "r")) {
            // keep the files until here so the page cache state is comparable
        }
        clean(dir);
    }
}
