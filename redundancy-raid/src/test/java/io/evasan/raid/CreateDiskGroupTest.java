package io.evasan.raid;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.raid.drive.DriveLabel;
import io.evasan.raid.drive.DriveLabelDescriptor;
import io.evasan.raid.drive.DriveState;
import io.evasan.raid.drive.impl.FileDrive;
import io.evasan.raid.rstore.RStore;
import io.evasan.raid.rstore.RaidLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import static io.evasan.raid.RaidTestSupport.MIB;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Pool#createDiskGroup} at run time: the group works at once and after a reopen; bad specs
 * write nothing; a creation cut short (failure, or kill -9 of a child JVM at a seeded moment) leaves
 * a pool that opens without the group, and the same paths can be used again.
 */
class CreateDiskGroupTest {
    @TempDir
    Path dir;

    private static GroupSpec group(String name, String prefix, long... sizes) {
        List<DriveSpec> d = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            d.add(DriveSpec.file(prefix + "/d" + i + ".img", sizes[i]));
        }
        return new GroupSpec(name, d);
    }

    private static StorageException refused(ErrorCode code, org.junit.jupiter.api.function.Executable e) {
        StorageException x = assertThrows(StorageException.class, e);
        assertEquals(code, x.code(), x::getMessage);
        return x;
    }

    @Test
    void shouldCreateAGroupThatWorksAndSurvivesAReopen() throws Exception {
        byte[] data = new byte[(int) RStore.SIZE_BYTES];
        new Random(7).nextBytes(data);
        long rsd;
        try (Pool pool = Pools.create(dir, RaidTestSupport.uniform(6, 64 * MIB))) {
            DiskGroup g = pool.createDiskGroup(group("fast", "fast", 64 * MIB, 64 * MIB, 64 * MIB, 64 * MIB, 96 * MIB, 96 * MIB, 96 * MIB));
            assertEquals(1, g.id());
            assertEquals("fast", g.name());
            assertEquals(2, pool.diskGroups().size());
            assertEquals(7, g.drives().size());
            assertTrue(g.drives().stream().allMatch(d -> d.state() == DriveState.AVAILABLE));
            RStore s = g.allocate(RaidLevel.RAID5);
            s.write(0, ByteBuffer.wrap(data));
            rsd = s.rsdId();
            assertEquals(6 + 7, pool.quorumAreas().size());
        }
        try (Pool pool = Pools.open(dir)) {
            assertFalse(pool.describe().contains("problem"), pool.describe());
            DiskGroup g = pool.diskGroup(1);
            assertEquals("fast", g.name());
            assertEquals(7, g.drives().size());
            ByteBuffer back = ByteBuffer.allocate(data.length);
            g.rstore(rsd).read(0, back);
            assertArrayEquals(data, back.array());
            assertEquals(0, pool.diskGroup(0).id());
        }
    }

    @Test
    void shouldRefuseBadSpecsAndWriteNothing() throws Exception {
        try (Pool pool = Pools.create(dir, RaidTestSupport.uniform(6, 64 * MIB))) {
            refused(ErrorCode.INSUFFICIENT_DRIVES, () -> pool.createDiskGroup(group("g5", "g5", 64 * MIB, 64 * MIB, 64 * MIB,
                    64 * MIB, 64 * MIB)));
            refused(ErrorCode.ALREADY_EXISTS, () -> pool.createDiskGroup(group("dg0", "x", 64 * MIB, 64 * MIB, 64 * MIB,
                    64 * MIB, 64 * MIB, 64 * MIB)));
            refused(ErrorCode.DRIVE_TOO_SMALL, () -> pool.createDiskGroup(group("small", "small", 64 * MIB, 64 * MIB, 64 * MIB,
                    64 * MIB, 64 * MIB, 1 * MIB)));
            List<DriveSpec> dup = new ArrayList<>(group("dup", "dup", 64 * MIB, 64 * MIB, 64 * MIB, 64 * MIB, 64 * MIB).drives());
            dup.add(DriveSpec.file("dup/d0.img", 64 * MIB));
            refused(ErrorCode.DUPLICATE_DRIVE, () -> pool.createDiskGroup(new GroupSpec("dup", dup)));
            List<DriveSpec> member = new ArrayList<>(group("mem", "mem", 64 * MIB, 64 * MIB, 64 * MIB, 64 * MIB, 64 * MIB).drives());
            member.add(DriveSpec.file("drives/d03.img", 0));
            refused(ErrorCode.DUPLICATE_DRIVE, () -> pool.createDiskGroup(new GroupSpec("mem", member)));
            for (String p : List.of("g5", "x", "small", "dup", "mem")) {
                assertFalse(Files.exists(dir.resolve(p)), p + ": nothing was written");
            }
            assertEquals(1, pool.diskGroups().size());
        }
        try (Pool pool = Pools.open(dir)) {
            assertEquals(1, pool.diskGroups().size());
        }
    }

    @Test
    void shouldIgnoreAndReuseTheDrivesOfAnInterruptedCreation() throws Exception {
        UUID poolId;
        try (Pool pool = Pools.create(dir, RaidTestSupport.uniform(6, 64 * MIB))) {
            poolId = pool.id();
            // a creation that fails at its 5th drive (its directory is a file): the pool is unchanged
            Files.createDirectories(dir.resolve("half"));
            Files.writeString(dir.resolve("half/d4.img.dir"), "x");
            List<DriveSpec> d = new ArrayList<>(group("half", "half", 64 * MIB, 64 * MIB, 64 * MIB, 64 * MIB).drives());
            d.add(DriveSpec.file("half/d4.img.dir/d4.img", 64 * MIB));
            d.add(DriveSpec.file("half/d5.img", 64 * MIB));
            assertThrows(StorageException.class, () -> pool.createDiskGroup(new GroupSpec("half", d)));
            assertEquals(1, pool.diskGroups().size());
        }
        // what a kill -9 between formatting and the commit leaves: labelled drives no group names
        for (int i = 4; i < 6; i++) {
            DriveLabel l = new DriveLabel(1, poolId, UUID.randomUUID(), 1, "half", i, 0, i, 64 * MIB,
                    DriveLabelDescriptor.psegCount(64 * MIB), 0);
            FileDrive.format(dir.resolve("half/d" + i + ".img"), i, 64 * MIB, l, (dr, c) -> { }).close();
        }
        try (Pool pool = Pools.open(dir)) {
            assertEquals(1, pool.diskGroups().size(), "the interrupted group does not exist");
            assertFalse(pool.describe().contains("problem"), pool.describe());
            DiskGroup g = pool.createDiskGroup(group("half", "half", 64 * MIB, 64 * MIB, 64 * MIB, 64 * MIB, 64 * MIB, 64 * MIB));
            assertEquals(6, g.drives().size());
            RStore s = g.allocate(RaidLevel.RAID5);
            byte[] w = new byte[4096];
            new Random(3).nextBytes(w);
            s.write(0, ByteBuffer.wrap(w));
            ByteBuffer back = ByteBuffer.allocate(w.length);
            s.read(0, back);
            assertArrayEquals(w, back.array());
        }
        try (Pool pool = Pools.open(dir)) {
            assertEquals(2, pool.diskGroups().size());
            assertTrue(pool.diskGroup(1).drives().stream().allMatch(x -> x.state() == DriveState.AVAILABLE), pool.describe());
        }
    }

    @Test
    void shouldOpenCleanlyAfterAKill9DuringGroupCreation() throws Exception {
        long seed = RaidTestSupport.seed();
        System.out.println("CreateDiskGroupTest kill seed=" + seed);
        Random rnd = new Random(seed);
        Pools.create(dir, RaidTestSupport.uniform(6, 64 * MIB)).close();
        List<Integer> done = new ArrayList<>();
        int next = 1;
        for (int round = 0; round < 3; round++) {
            int killAt = next + rnd.nextInt(3);
            int[] killed = {-1};
            try (ChildJvm child = ChildJvm.of(GroupCreateChild.class).heap("128m").jvmArgs("-XX:TieredStopAtLevel=1")
                    .args(dir.toString(), Integer.toString(next)).start()) {
                child.follow(line -> {
                    String[] f = line.split(" ");
                    int n = Integer.parseInt(f[1]);
                    if (f[0].equals("DONE")) {
                        done.add(n);
                    } else if (n == killAt) {
                        killed[0] = n;
                        Thread.sleep(rnd.nextInt(4));
                        child.kill9();
                    }
                });
            }
            int inFlight = killed[0];
            String ctx = "round " + round + " seed=" + seed;
            try (Pool pool = Pools.open(dir)) {
                assertFalse(pool.describe().contains("problem"), ctx + "\n" + pool.describe());
                List<String> names = pool.diskGroups().stream().map(DiskGroup::name).toList();
                for (int n : done) {
                    assertTrue(names.contains("g" + n), ctx + ": acknowledged group g" + n + " is there: " + names);
                }
                for (DiskGroup g : pool.diskGroups()) {
                    assertTrue(g.drives().stream().allMatch(d -> d.state() == DriveState.AVAILABLE), ctx + "\n" + pool.describe());
                }
                System.out.println("CreateDiskGroupTest " + ctx + ": killed during g" + inFlight + ", committed="
                        + names.contains("g" + inFlight) + ", leftover files=" + Files.exists(dir.resolve("g" + inFlight)));
                if (!names.contains("g" + inFlight)) {   // cut before its commit: the same paths work again
                    pool.createDiskGroup(GroupCreateChild.spec(inFlight));
                }
                done.add(inFlight);
                RStore s = pool.diskGroups().get(pool.diskGroups().size() - 1).allocate(RaidLevel.RAID5);
                s.write(0, ByteBuffer.wrap(new byte[4096]));
            }
            next = inFlight + 1;
        }
        try (Pool pool = Pools.open(dir)) {
            assertEquals(1 + done.size(), pool.diskGroups().size(), pool.describe());
        }
    }
}
