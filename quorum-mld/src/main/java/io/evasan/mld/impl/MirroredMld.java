package io.evasan.mld.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mld.Mld;
import io.evasan.mld.MldBatch;
import io.evasan.mld.MldBlockDescriptor;
import io.evasan.mld.MldOptions;
import io.evasan.raid.drive.QuorumArea;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@link Mld} mirrored on up to {@code maxCopies} quorum areas with two ping-pong slots each.
 *
 * <p>Invariant: {@code records} is the decoded payload of generation {@code generation}, which
 * is valid on at least one area; the next commit writes generation + 1 into slot
 * {@code (generation + 1) & 1} of every chosen area, never touching the slot holding the
 * current generation.
 */
public final class MirroredMld implements Mld {
    private static final Logger LOG = Logger.getLogger(MirroredMld.class.getName());

    private final List<QuorumArea> areas;
    private final MldOptions options;
    private final TreeMap<String, TreeMap<String, byte[]>> records = new TreeMap<>();
    private long generation;
    private int goodCopies;
    private int payloadBytes;
    private boolean closed;

    private MirroredMld(List<QuorumArea> areas, MldOptions options) {
        this.areas = List.copyOf(areas);
        this.options = options;
    }

    public static MirroredMld open(List<QuorumArea> areas, MldOptions options) {
        if (areas.isEmpty()) {
            throw new StorageException(ErrorCode.INSUFFICIENT_DRIVES, "no quorum area to hold the MLD");
        }
        MirroredMld m = new MirroredMld(areas, options);
        m.load();
        return m;
    }

    private long regionLength(QuorumArea a) {
        long len = options.regionLength() > 0 ? options.regionLength() : a.sizeBytes() - options.regionOffset();
        return Math.min(len, a.sizeBytes() - options.regionOffset());
    }

    private long slotSize(QuorumArea a) {
        return MldBlockDescriptor.slotSize(regionLength(a));
    }

    private void load() {
        ByteBuffer best = null;
        long bestGen = -1;
        boolean sawData = false;
        int[] copiesOfGen = new int[1];
        List<long[]> seen = new ArrayList<>(); // {areaIndex, generation}
        for (int i = 0; i < areas.size(); i++) {
            QuorumArea a = areas.get(i);
            if (!a.isAvailable()) {
                continue;
            }
            long slotSize = slotSize(a);
            if (slotSize < MldBlockDescriptor.HEADER_LENGTH + 512) {
                continue;
            }
            for (int s = 0; s < 2; s++) {
                ByteBuffer block;
                try {
                    block = readSlot(a, s, slotSize);
                } catch (StorageException e) {
                    if (e.code() != ErrorCode.CORRUPT_METADATA) {
                        LOG.log(Level.WARNING, "MLD copy unreadable on drive " + a.driveId() + " slot " + s + ": " + e);
                    }
                    sawData = true;
                    continue;
                }
                if (block == null) {
                    continue; // blank
                }
                sawData = true;
                long gen = MldBlockDescriptor.generation(block);
                seen.add(new long[] {i, gen});
                if (gen > bestGen) {
                    bestGen = gen;
                    best = block;
                }
            }
        }
        if (best == null) {
            if (sawData) {
                throw new StorageException(ErrorCode.CORRUPT_METADATA,
                        "no valid MLD copy on any of " + areas.size() + " quorum areas");
            }
            generation = 0;
            goodCopies = 0;
            payloadBytes = decode(ByteBuffer.allocate(4), records);
            return;
        }
        for (long[] s : seen) {
            if (s[1] == bestGen) {
                copiesOfGen[0]++;
            }
        }
        generation = bestGen;
        goodCopies = copiesOfGen[0];
        int len = MldBlockDescriptor.payloadLength(best);
        ByteBuffer payload = best.duplicate();
        payload.position(MldBlockDescriptor.PAYLOAD_OFFSET).limit(MldBlockDescriptor.PAYLOAD_OFFSET + len);
        payloadBytes = decode(payload.slice(), records);
    }

    /** Reads and validates one slot: null when blank; CORRUPT_METADATA (logged) when torn or checksum-failed. */
    private ByteBuffer readSlot(QuorumArea a, int slot, long slotSize) {
        long base = options.regionOffset() + MldBlockDescriptor.slotOffset(regionLength(a), slot);
        ByteBuffer head = ByteBuffer.allocate(512);
        a.read(base, head);
        head.flip();
        if (MldBlockDescriptor.blank(head)) {
            return null;
        }
        if (!MldBlockDescriptor.headerValid(head, slotSize)) {
            LOG.warning("MLD copy on drive " + a.driveId() + " slot " + slot + ": header torn or corrupt, skipped");
            throw new StorageException(ErrorCode.CORRUPT_METADATA, "bad header");
        }
        int blockLen = MldBlockDescriptor.blockLength(MldBlockDescriptor.payloadLength(head));
        ByteBuffer block = ByteBuffer.allocate(blockLen);
        a.read(base, block);
        block.flip();
        if (!MldBlockDescriptor.payloadValid(block)) {
            LOG.warning("MLD copy on drive " + a.driveId() + " slot " + slot + ": payload checksum failed, skipped");
            throw new StorageException(ErrorCode.CORRUPT_METADATA, "bad payload");
        }
        return block;
    }

    @Override
    public synchronized long generation() {
        return generation;
    }

    @Override
    public synchronized Optional<byte[]> get(String kind, String key) {
        Map<String, byte[]> m = records.get(kind);
        byte[] v = m == null ? null : m.get(key);
        return v == null ? Optional.empty() : Optional.of(v.clone());
    }

    @Override
    public synchronized List<String> keys(String kind) {
        Map<String, byte[]> m = records.get(kind);
        return m == null ? List.of() : List.copyOf(m.keySet());
    }

    @Override
    public synchronized int goodCopies() {
        return goodCopies;
    }

    @Override
    public synchronized int payloadBytes() {
        return payloadBytes;
    }

    @Override
    public synchronized void commit(MldBatch batch) {
        if (closed) {
            throw new IllegalStateException("MLD closed");
        }
        TreeMap<String, TreeMap<String, byte[]>> next = new TreeMap<>();
        for (Map.Entry<String, TreeMap<String, byte[]>> e : records.entrySet()) {
            next.put(e.getKey(), new TreeMap<>(e.getValue()));
        }
        for (MldBatch.Change c : batch.changes()) {
            if (c.value() == null) {
                TreeMap<String, byte[]> m = next.get(c.kind());
                if (m != null) {
                    m.remove(c.key());
                    if (m.isEmpty()) {
                        next.remove(c.kind());
                    }
                }
            } else {
                next.computeIfAbsent(c.kind(), k -> new TreeMap<>()).put(c.key(), c.value());
            }
        }
        byte[] payload = encode(next);
        long gen = generation + 1;
        int slot = MldBlockDescriptor.slotOf(gen);
        List<QuorumArea> targets = new ArrayList<>();
        for (QuorumArea a : areas) {
            if (targets.size() == options.maxCopies()) {
                break;
            }
            if (a.isAvailable() && slotSize(a) >= MldBlockDescriptor.HEADER_LENGTH + 512) {
                targets.add(a);
            }
        }
        if (targets.isEmpty()) {
            throw new StorageException(ErrorCode.WRITE_FAULT, "no available quorum area for the MLD");
        }
        int blockLen = MldBlockDescriptor.blockLength(payload.length);
        for (QuorumArea a : targets) {
            if (blockLen > slotSize(a)) {
                throw new StorageException(ErrorCode.SPACE_ALLOCATION_FAILED, "MLD of " + payload.length
                        + " bytes does not fit the quorum slot of " + slotSize(a) + " bytes");
            }
        }
        ByteBuffer block = ByteBuffer.allocate(blockLen).order(ByteOrder.LITTLE_ENDIAN);
        block.position(MldBlockDescriptor.PAYLOAD_OFFSET);
        block.put(payload);
        MldBlockDescriptor.writeHeader(block, gen, payload.length, System.currentTimeMillis(), targets.size());
        int ok = 0;
        StorageException last = null;
        boolean[] written = new boolean[targets.size()];
        for (int i = 0; i < targets.size(); i++) {
            QuorumArea a = targets.get(i);
            try {
                ByteBuffer b = block.duplicate();
                b.clear();
                a.write(options.regionOffset() + MldBlockDescriptor.slotOffset(regionLength(a), slot), b);
                written[i] = true;
            } catch (StorageException e) {
                last = e;
                LOG.warning("MLD copy write failed on drive " + a.driveId() + ": " + e);
            }
        }
        for (int i = 0; i < targets.size(); i++) {
            if (!written[i]) {
                continue;
            }
            try {
                targets.get(i).force();
                ok++;
            } catch (StorageException e) {
                last = e;
                LOG.warning("MLD copy force failed on drive " + targets.get(i).driveId() + ": " + e);
            }
        }
        if (ok == 0) {
            throw new StorageException(ErrorCode.WRITE_FAULT, "MLD commit failed on every quorum area", last);
        }
        records.clear();
        records.putAll(next);
        generation = gen;
        goodCopies = ok;
        payloadBytes = payload.length;
    }

    @Override
    public synchronized void close() {
        closed = true;
    }

    static byte[] encode(TreeMap<String, TreeMap<String, byte[]>> recs) {
        int count = 0;
        int size = 4;
        List<byte[][]> flat = new ArrayList<>();
        for (Map.Entry<String, TreeMap<String, byte[]>> k : recs.entrySet()) {
            byte[] kind = k.getKey().getBytes(StandardCharsets.UTF_8);
            for (Map.Entry<String, byte[]> r : k.getValue().entrySet()) {
                byte[] key = r.getKey().getBytes(StandardCharsets.UTF_8);
                if (kind.length > 0xFFFF || key.length > 0xFFFF) {
                    throw new IllegalArgumentException("MLD kind/key longer than 65535 bytes");
                }
                flat.add(new byte[][] {kind, key, r.getValue()});
                size += 2 + kind.length + 2 + key.length + 4 + r.getValue().length;
                count++;
            }
        }
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(count);
        for (byte[][] f : flat) {
            b.putShort((short) f[0].length).put(f[0]);
            b.putShort((short) f[1].length).put(f[1]);
            b.putInt(f[2].length).put(f[2]);
        }
        return b.array();
    }

    static int decode(ByteBuffer payload, TreeMap<String, TreeMap<String, byte[]>> into) {
        into.clear();
        ByteBuffer b = payload.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int size = b.remaining();
        if (size < 4) {
            return 4;
        }
        int count = b.getInt();
        for (int i = 0; i < count; i++) {
            String kind = str(b, Short.toUnsignedInt(b.getShort()));
            String key = str(b, Short.toUnsignedInt(b.getShort()));
            byte[] v = new byte[b.getInt()];
            b.get(v);
            into.computeIfAbsent(kind, k -> new TreeMap<>()).put(key, v);
        }
        return size;
    }

    private static String str(ByteBuffer b, int len) {
        byte[] s = new byte[len];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "MirroredMld[gen=" + generation + ", copies=" + goodCopies + ", areas=" + areas.size()
                + ", kinds=" + Arrays.toString(records.keySet().toArray()) + "]";
    }
}
