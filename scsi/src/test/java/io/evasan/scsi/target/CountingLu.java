package io.evasan.scsi.target;

import io.evasan.scsi.lu.LbaStatusSink;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.lu.LuException;
import io.evasan.scsi.lu.impl.MemoryLogicalUnit;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** A RAM LU that counts every access, logs I/O order and can hold writes/reads at a gate. */
final class CountingLu implements LogicalUnit {
    final MemoryLogicalUnit inner;
    final AtomicInteger touches = new AtomicInteger();
    final List<String> log = new CopyOnWriteArrayList<>();
    volatile long gateLba = -1;
    volatile CountDownLatch gate = new CountDownLatch(0);
    final CountDownLatch atGate = new CountDownLatch(1);

    CountingLu(String name, long blocks) {
        inner = new MemoryLogicalUnit(name, blocks);
    }

    void holdAt(long lba) {
        gate = new CountDownLatch(1);
        gateLba = lba;
    }

    void release() {
        gate.countDown();
    }

    private void maybeHold(long lba) {
        if (lba == gateLba) {
            atGate.countDown();
            try {
                gate.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override public String name() { return inner.name(); }
    @Override public long blockCount() { touches.incrementAndGet(); return inner.blockCount(); }
    @Override public byte[] naaIdentifier() { touches.incrementAndGet(); return inner.naaIdentifier(); }
    @Override public String serialNumber() { touches.incrementAndGet(); return inner.serialNumber(); }
    @Override public boolean thinProvisioned() { touches.incrementAndGet(); return inner.thinProvisioned(); }
    @Override public int readiness() { touches.incrementAndGet(); return inner.readiness(); }
    @Override public boolean writeProtected() { touches.incrementAndGet(); return inner.writeProtected(); }

    @Override
    public void read(long lba, int blocks, ByteBuffer dst) throws LuException {
        touches.incrementAndGet();
        log.add("R" + lba);
        maybeHold(lba);
        inner.read(lba, blocks, dst);
    }

    @Override
    public void write(long lba, int blocks, ByteBuffer src, boolean fua) throws LuException {
        touches.incrementAndGet();
        log.add("W" + lba);
        maybeHold(lba);
        inner.write(lba, blocks, src, fua);
    }

    @Override
    public void unmap(long lba, long blocks) throws LuException {
        touches.incrementAndGet();
        inner.unmap(lba, blocks);
    }

    @Override
    public void lbaStatus(long lba, long maxBlocks, LbaStatusSink sink) throws LuException {
        touches.incrementAndGet();
        inner.lbaStatus(lba, maxBlocks, sink);
    }

    @Override
    public void flush(long lba, long blocks) {
        touches.incrementAndGet();
        inner.flush(lba, blocks);
    }
}
