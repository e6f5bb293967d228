package io.evasan.sharing;

import io.evasan.error.StorageException;
import io.evasan.mapping.Mapping;
import io.evasan.mapping.MappingOptions;
import io.evasan.mapping.Mappings;
import io.evasan.raid.Pool;
import io.evasan.sharing.impl.SharingTreesImpl;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Child JVM of {@link SharingCrashTest}: opens pool, mapping and sharing tree, then writes to all
 * disks, takes snapshots and snapclones (BGCOPY runs in the background, throttled) and deletes
 * snapshots at random, printing {@code BEGIN ...} before and {@code ACK ...} / {@code NACK} after
 * each operation, until killed with SIGKILL ({@code -Devasan.crash.stallAfter=K}: after K operations
 * print {@code STALLED} and wait for the kill). Args: poolDir stateDir seed round.
 */
public final class SharingCrashChild {
    static final int SEG = 1 << 20;
    static final int SEGS = 6;

    public static void main(String[] args) throws Exception {
        Path poolDir = Path.of(args[0]);
        Path stateDir = Path.of(args[1]);
        Random rnd = new Random(Long.parseLong(args[2]));
        int round = Integer.parseInt(args[3]);
        // -Devasan.crash.crossGroup=true: a pool of two groups, snapclones go into the second one
        boolean cross = Boolean.getBoolean("evasan.crash.crossGroup");
        Pool pool = cross ? CrossGroupSnapcloneTest.pool(poolDir, 128, 128) : MappingIntegrationTest.pool(poolDir, 128);
        int cloneGroup = cross ? pool.diskGroups().get(1).id() : -1;
        Mapping m = Mappings.open(pool, stateDir, MappingOptions.defaults());
        SharingTreesImpl st = new SharingTreesImpl(MappingIntegrationTest.maps(pool, m),
                SharingConfig.defaults().withBackground(!Boolean.getBoolean("evasan.crash.stepBgcopy")).withRate(16L << 20).withQuiesceThreshold(2),
                SharingStats.standalone());
        if (st.disks().isEmpty()) {
            System.out.println("BEGIN CREATE");
            long lun = st.createLun(SEGS);
            System.out.println("ACK CREATE " + lun);
        }
        StringBuilder trees = new StringBuilder("TREES");
        for (long id : st.disks()) {
            if (st.isValid(id) && st.chain(id).get(0) == id) {
                trees.append(' ').append(st.chain(id)).append(st.kind(id));
            }
        }
        System.out.println(trees);
        final boolean selfCheck = Boolean.getBoolean("evasan.crash.selfCheck");
        java.util.Map<Long, byte[]> model = new java.util.HashMap<>();
        if (selfCheck) {
            for (long id : st.disks()) {
                if (st.isValid(id)) {
                    byte[] b = new byte[SEGS * SEG];
                    st.read(id, 0, b, 0, b.length);
                    model.put(id, b);
                }
            }
        }
        if (Boolean.getBoolean("evasan.crash.invCheck")) {
            invCheck(st, "open");
        }
        System.out.println("READY");
        System.out.flush();
        final long stallAfter = Long.getLong("evasan.crash.stallAfter", -1);
        for (long seq = 0; ; seq++) {
            if (seq == stallAfter) {
                // deterministic kill point: everything up to here is acknowledged and printed
                System.out.println("STALLED");
                System.out.flush();
                Thread.sleep(Long.MAX_VALUE);
            }
            List<Long> all = new ArrayList<>();
            for (long id : st.disks()) {
                if (st.isValid(id)) {
                    all.add(id);
                }
            }
            if (Boolean.getBoolean("evasan.crash.stepBgcopy")) {
                for (long id : all) {
                    if (st.kind(id) == DiskKind.SNAPCLONE && rnd.nextInt(4) == 0) {
                        System.out.println("BEGIN BGCOPY " + id);
                        st.bgcopyStep(id, 1 + rnd.nextInt(3));
                        System.out.println("NACK bgcopy");
                    }
                }
            }
            long d = all.get(rnd.nextInt(all.size()));
            int r = rnd.nextInt(100);
            String ops = System.getProperty("evasan.crash.ops", "WSDCRU");
            if ((r < 8 && ops.indexOf('S') < 0) || (r >= 8 && r < 12 && ops.indexOf('C') < 0)
                    || (r >= 16 && r < 19 && ops.indexOf('R') < 0) || (r >= 19 && r < 24 && ops.indexOf('U') < 0)) {
                r = 50;
            }
            if (all.size() > 8 && ops.indexOf('D') >= 0) {
                for (long x : all) {
                    if (st.kind(x) == DiskKind.SNAPSHOT || (st.kind(x) == DiskKind.LUN && st.chain(x).size() == 1 && x != all.get(0))) {
                        d = x;
                        r = 14;
                        break;
                    }
                }
            }
            if (r < 8) {
                System.out.println("BEGIN SNAP " + d);
                System.out.flush();
                try {
                    long p = st.snapshot(d, rnd.nextBoolean() || Boolean.getBoolean("evasan.crash.noReserve") ? AllocationPolicy.ON_DEMAND : AllocationPolicy.RESERVE_FULL);
                    System.out.println("ACK SNAP " + d + " " + p);
                    if (selfCheck) {
                        model.put(p, model.get(d).clone());
                        selfCheck(st, model, -1, "SNAP " + d + " " + p);
                    }
                } catch (StorageException ex) {
                    System.out.println("NACK " + ex.code());
                }
            } else if (r < 12) {
                System.out.println("BEGIN CLONE " + d);
                System.out.flush();
                try {
                    long c = st.snapclone(d, AllocationPolicy.ON_DEMAND, rnd.nextBoolean() ? SnapcloneMode.EAGER : SnapcloneMode.SCALING,
                            0, cloneGroup);
                    System.out.println("ACK CLONE " + d + " " + c);
                } catch (StorageException ex) {
                    System.out.println("NACK " + ex.code());
                }
            } else if (r >= 19 && r < 24) {
                long off = (long) rnd.nextInt(SEGS * 2) * (SEG / 2);
                long len = Math.min((long) SEGS * SEG - off, (long) (1 + rnd.nextInt(4)) * (SEG / 2));
                System.out.println("BEGIN UNMAP " + d + " " + off + " " + len);
                System.out.flush();
                st.unmap(d, off, len);
                System.out.println("ACK UNMAP " + d + " " + off + " " + len);
            } else if (r >= 16 && r < 19 && st.kind(d) != DiskKind.SNAPCLONE && st.chain(d).indexOf(d) > 0) {
                List<Long> chain = st.chain(d);
                long older = chain.get(rnd.nextInt(chain.indexOf(d)));
                System.out.println("BEGIN ROLLBACK " + d + " " + older);
                System.out.flush();
                try {
                    st.rollback(d, older);
                    System.out.println("ACK ROLLBACK " + d + " " + older);
                } catch (StorageException ex) {
                    System.out.println("NACK " + ex.code());   // e.g. the older disk was a snapclone that just left
                }
            } else if (r < 16 && (st.kind(d) == DiskKind.SNAPSHOT
                    || (st.kind(d) == DiskKind.LUN && st.chain(d).size() == 1 && d != all.get(0)))) {
                System.out.println("BEGIN DEL " + d + " " + st.kind(d) + " " + st.chain(d));
                System.out.flush();
                st.delete(d, DeleteOption.REFUSE_IF_SNAPSHOTS);
                System.out.println("ACK DEL " + d);
                if (selfCheck) {
                    model.remove(d);
                    selfCheck(st, model, -1, "DEL " + d);
                }
            } else {
                long off;
                int len;
                if (rnd.nextInt(3) == 0) {
                    off = (long) rnd.nextInt(SEGS) * SEG;
                    len = SEG;
                } else {
                    int sectors = SEGS * SEG / 512;
                    int a = rnd.nextInt(sectors);
                    len = 512 * (1 + rnd.nextInt(Math.min(256, sectors - a)));
                    off = a * 512L;
                }
                long token = ((long) round << 40) | seq;
                byte[] b = new byte[len];
                fill(b, token);
                System.out.println("BEGIN WRITE " + d + " " + off + " " + len + " " + token);
                System.out.flush();
                st.write(d, off, b, 0, len);
                System.out.println("ACK WRITE " + d + " " + off + " " + len + " " + token);
                if (selfCheck) {
                    System.arraycopy(b, 0, model.get(d), (int) off, len);
                    for (int sg = (int) (off / SEG); sg <= (int) ((off + len - 1) / SEG); sg++) {
                        selfCheck(st, model, sg, "WRITE " + d + " " + off + " " + len);
                    }
                }
            }
            System.out.flush();
            if (Boolean.getBoolean("evasan.crash.invCheck")) {
                invCheck(st, "op " + seq);
            }
        }
    }

    /** Every segment resolves to a HOLDER entry or to zeros, and no RSEG has two holders. */
    private static void invCheck(SharingTreesImpl st, String when) {
        java.util.Map<Long, String> holders = new java.util.HashMap<>();
        for (long id : st.disks()) {
            if (!st.isValid(id)) {
                continue;
            }
            List<Long> chain = st.chain(id);
            int pos = chain.indexOf(id);
            for (int s = 0; s < SEGS; s++) {
                long e = st.entry(id, s);
                if (io.evasan.sharing.sharebits.ShareEntry.holder(e)) {
                    String prev = holders.put(io.evasan.sharing.sharebits.ShareEntry.pointer(e), id + "/" + s);
                    if (prev != null) {
                        bad(st, when, "RSEG held twice: " + prev + " and " + id + "/" + s, id, s);
                    }
                }
                int h = pos;
                while (h < chain.size() - 1 && io.evasan.sharing.sharebits.ShareEntry.ss(st.entry(chain.get(h), s))) {
                    h++;
                }
                long he = st.entry(chain.get(h), s);
                if (io.evasan.sharing.sharebits.ShareEntry.pointer(he) != 0 && !io.evasan.sharing.sharebits.ShareEntry.holder(he)) {
                    bad(st, when, "disk " + id + " seg " + s + " reads a non-holder pointer of disk " + chain.get(h), id, s);
                }
            }
        }
    }

    private static void bad(SharingTreesImpl st, String when, String what, long id, int s) {
        StringBuilder sb = new StringBuilder("CHILDBAD invariant at " + when + ": " + what + "; chain " + st.chain(id) + " entries:");
        for (long c : st.chain(id)) {
            sb.append(' ').append(c).append('=').append(io.evasan.sharing.sharebits.ShareEntry.toString(st.entry(c, s)));
        }
        System.out.println(sb);
        System.out.flush();
        try {
            Thread.sleep(1_000_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void selfCheck(SharingTreesImpl st, java.util.Map<Long, byte[]> model, int seg, String op) {
        byte[] got = new byte[SEG];
        for (java.util.Map.Entry<Long, byte[]> me : model.entrySet()) {
            for (int sg = seg < 0 ? 0 : seg; sg < (seg < 0 ? SEGS : seg + 1); sg++) {
                st.read(me.getKey(), (long) sg * SEG, got, 0, SEG);
                if (!java.util.Arrays.equals(got, 0, SEG, me.getValue(), sg * SEG, (sg + 1) * SEG)) {
                    StringBuilder sb = new StringBuilder("CHILDBAD after " + op + ": disk " + me.getKey() + " seg " + sg
                            + " chain " + st.chain(me.getKey()) + " entries:");
                    for (long c : st.chain(me.getKey())) {
                        sb.append(' ').append(c).append('=').append(io.evasan.sharing.sharebits.ShareEntry.toString(st.entry(c, sg)));
                    }
                    System.out.println(sb);
                    System.out.flush();
                    try {
                        Thread.sleep(1_000_000);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }
    }

    static void fill(byte[] b, long token) {
        long x = token * 0x9E3779B97F4A7C15L + 1;
        for (int i = 0; i < b.length; i += 8) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            for (int k = 0; k < 8 && i + k < b.length; k++) {
                b[i + k] = (byte) (x >>> (8 * k));
            }
        }
    }
}
