package io.evasan.mapping;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mapping.impl.MappingImpl;
import io.evasan.mapping.support.FilePool;
import io.evasan.raid.rstore.RaidLevel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Seeded randomized test of the mapping against a plain in-memory model: several LUNs of several
 * RAID levels in two disk groups; random create / write / read / unmap / resize / set RAID range /
 * delete / checkpoint / reopen. Prints the seed; a failure names seed and step. Reproduce with
 * {@code -Devasan.seed=<seed>}; longer runs with {@code -Devasan.steps=100000}.
 */
class MappingModelTest {
    static final long MB = 1 << 20;
    @TempDir
    Path dir;
    FilePool pool;
    Mapping mapping;
    SimpleMeterRegistry registry;

    static final class ModelLun {
        long size;
        final int group;
        final TreeMap<Long, byte[]> segs = new TreeMap<>();

        ModelLun(long size, int group) {
            this.size = size;
            this.group = group;
        }
    }

    void open() {
        pool = new FilePool(dir.resolve("pool"), 2, 4096, 4, 256 << 10);
        registry = new SimpleMeterRegistry();
        mapping = Mappings.open(pool.asPool(), dir.resolve("state"),
                MappingOptions.defaults().withFsync(false).withMinCompactBytes(32 << 10).withRegistry(registry));
    }

    void reopen() {
        mapping.close();
        pool.close();
        open();
    }

    @AfterEach
    void tearDown() {
        if (mapping != null) {
            mapping.close();
            pool.close();
        }
    }

    @Test
    void shouldMatchModelUnderRandomOperations() {
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        int steps = Integer.getInteger("evasan.steps", 2500);
        System.out.println("MappingModelTest seed=" + seed + " steps=" + steps);
        Random rnd = new Random(seed);
        open();
        Map<String, ModelLun> model = new TreeMap<>();
        int names = 0;
        RaidLevel[] levels = RaidLevel.values();
        for (int step = 0; step < steps; step++) {
            String ctx = "seed=" + seed + " step=" + step;
            int op = rnd.nextInt(100);
            List<String> luns = new ArrayList<>(model.keySet());
            String lun = luns.isEmpty() ? null : luns.get(rnd.nextInt(luns.size()));
            try {
                if (lun == null || (op < 6 && model.size() < 6)) {
                    String name = "lun" + names++;
                    long size = rnd.nextInt(10) == 0 ? Mapping.MAX_LUN_BYTES : (1 + rnd.nextInt(40)) * MB;
                    int group = rnd.nextInt(2);
                    mapping.create(name, size, levels[rnd.nextInt(levels.length)], group);
                    model.put(name, new ModelLun(size, group));
                } else if (op < 45) {
                    ModelLun m = model.get(lun);
                    long off = pickOffset(rnd, m.size);
                    int len = (int) Math.min(m.size - off, 512L * (1 + rnd.nextInt(rnd.nextBoolean() ? 8 : 600)));
                    byte[] data = new byte[len];
                    rnd.nextBytes(data);
                    mapping.disk(lun).write(off, ByteBuffer.wrap(data));
                    apply(m, off, data);
                } else if (op < 70) {
                    ModelLun m = model.get(lun);
                    long off = pickOffset(rnd, m.size);
                    int len = (int) Math.min(m.size - off, 512L * (1 + rnd.nextInt(2400)));
                    check(mapping.disk(lun), m, off, len, ctx);
                } else if (op < 80) {
                    ModelLun m = model.get(lun);
                    long off;
                    long len;
                    if (rnd.nextBoolean()) {
                        off = (pickOffset(rnd, m.size) / MB) * MB;
                        len = Math.min(m.size - off, MB * (1 + rnd.nextInt(3)));
                    } else {
                        off = pickOffset(rnd, m.size);
                        len = Math.min(m.size - off, 512L * (1 + rnd.nextInt(3000)));
                    }
                    mapping.disk(lun).unmap(off, len);
                    unmapModel(m, off, len);
                } else if (op < 86) {
                    ModelLun m = model.get(lun);
                    long newSize;
                    if (rnd.nextBoolean() && m.size < Mapping.MAX_LUN_BYTES) {
                        newSize = Math.min(Mapping.MAX_LUN_BYTES, m.size + MB * (1 + rnd.nextInt(16)));
                    } else {
                        newSize = MB * (1 + rnd.nextInt((int) Math.min(48, m.size / MB)));
                    }
                    boolean force = rnd.nextBoolean();
                    boolean over = !m.segs.tailMap(newSize / MB, true).isEmpty();
                    if (newSize < m.size && over && !force) {
                        long before = mapping.disk(lun).heldSegments();
                        StorageException e = assertThrows(StorageException.class, () -> mapping.resize(lun, newSize, false), ctx);
                        assertEquals(ErrorCode.INVALID_STATE, e.code(), ctx);
                        assertEquals(m.size, mapping.disk(lun).sizeBytes(), ctx);
                        assertEquals(before, mapping.disk(lun).heldSegments(), ctx);
                    } else {
                        mapping.resize(lun, newSize, force);
                        m.segs.tailMap(newSize / MB, true).clear();
                        m.size = newSize;
                    }
                } else if (op < 89) {
                    ModelLun m = model.get(lun);
                    long segs = m.size / MB;
                    long first = rnd.nextInt((int) Math.min(segs, 64));
                    long count = 1 + rnd.nextInt((int) Math.min(segs - first, 32));
                    RaidLevel l = levels[rnd.nextInt(levels.length)];
                    mapping.setRaidLevel(lun, first, count, l);
                    assertEquals(l, mapping.disk(lun).raidLevelAt(first + rnd.nextInt((int) count)), ctx);
                } else if (op < 92) {
                    mapping.delete(lun);
                    model.remove(lun);
                    assertThrows(StorageException.class, () -> mapping.disk(lun), ctx);
                } else if (op < 94) {
                    ((MappingImpl) mapping).checkpoint();
                } else if (op < 97) {
                    reopen();
                    verifyAll(model, ctx + " after reopen");
                }
            } catch (StorageException | AssertionError e) {
                throw new AssertionError(ctx + ": " + e, e);
            }
            checkInvariants(model, ctx);
        }
        reopen();
        verifyAll(model, "seed=" + seed + " final");
        System.out.println("MappingModelTest passed: seed=" + seed + " steps=" + steps + " luns=" + model.size()
                + " checkpoints=" + ((MappingImpl) mapping).pldmcLog().checkpoints());
    }

    static long pickOffset(Random rnd, long size) {
        long segs = size / MB;
        long seg;
        switch (rnd.nextInt(4)) {
            case 0 -> seg = segs - 1 - rnd.nextInt((int) Math.min(segs, 3));
            case 1 -> seg = Math.min(segs - 1, 2047 + rnd.nextInt(3)); // LMAP boundary
            default -> seg = rnd.nextInt((int) Math.min(segs, 24));
        }
        return seg * MB + 512L * rnd.nextInt(2048);
    }

    static void apply(ModelLun m, long off, byte[] data) {
        int done = 0;
        while (done < data.length) {
            long seg = (off + done) / MB;
            int in = (int) ((off + done) % MB);
            int n = (int) Math.min(data.length - done, MB - in);
            byte[] s = m.segs.computeIfAbsent(seg, k -> new byte[(int) MB]);
            System.arraycopy(data, done, s, in, n);
            done += n;
        }
    }

    static void unmapModel(ModelLun m, long off, long len) {
        long done = 0;
        while (done < len) {
            long seg = (off + done) / MB;
            int in = (int) ((off + done) % MB);
            int n = (int) Math.min(len - done, MB - in);
            if (n == MB) {
                m.segs.remove(seg);
            } else {
                byte[] s = m.segs.get(seg);
                if (s != null) {
                    Arrays.fill(s, in, in + n, (byte) 0);
                }
            }
            done += n;
        }
    }

    static void check(LogicalDisk d, ModelLun m, long off, int len, String ctx) {
        ByteBuffer b = ByteBuffer.allocate(len);
        d.read(off, b);
        assertFalse(b.hasRemaining(), ctx);
        byte[] got = b.array();
        byte[] want = new byte[len];
        int done = 0;
        while (done < len) {
            long seg = (off + done) / MB;
            int in = (int) ((off + done) % MB);
            int n = (int) Math.min(len - done, MB - in);
            byte[] s = m.segs.get(seg);
            if (s != null) {
                System.arraycopy(s, in, want, done, n);
            }
            done += n;
        }
        if (!Arrays.equals(want, got)) {
            int i = Arrays.mismatch(want, got);
            fail(ctx + ": " + d.name() + " differs at byte " + (off + i) + " (read " + off + "+" + len + ")");
        }
    }

    void verifyAll(Map<String, ModelLun> model, String ctx) {
        for (Map.Entry<String, ModelLun> e : model.entrySet()) {
            LogicalDisk d = mapping.disk(e.getKey());
            assertEquals(e.getValue().size, d.sizeBytes(), ctx);
            assertEquals(e.getValue().group, d.diskGroupId(), ctx);
            for (Long seg : e.getValue().segs.keySet()) {
                check(d, e.getValue(), seg * MB, (int) MB, ctx + " " + e.getKey() + " seg " + seg);
            }
            check(d, e.getValue(), d.sizeBytes() - MB, (int) MB, ctx + " last segment");
        }
        checkInvariants(model, ctx);
    }

    void checkInvariants(Map<String, ModelLun> model, String ctx) {
        assertEquals(model.keySet(), new java.util.TreeSet<>(mapping.list().stream().map(LunInfo::name).toList()), ctx);
        for (Map.Entry<String, ModelLun> e : model.entrySet()) {
            assertEquals(e.getValue().segs.size(), mapping.disk(e.getKey()).heldSegments(), ctx + " held of " + e.getKey());
        }
        long poolStores = pool.group(0).rstoreCount() + pool.group(1).rstoreCount();
        double mapStores = registry.get("evasan.mapping.rstores").gauge().value();
        assertEquals(poolStores, (long) mapStores, ctx + ": RStores in the pool vs in the RSD tables (leak)");
    }
}
