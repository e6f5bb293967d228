package io.evasan.sanhost;

import io.evasan.sanhost.nbd.BlockDevice;
import io.evasan.sanhost.nbd.BlockIoException;
import io.evasan.sanhost.nbd.NbdDescriptor;
import io.evasan.scsi.alua.AccessState;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One logical unit as the host sees it: every path found to it (grouped by the LU's VPD 83h
 * designator), its capacity, and the path choice: active/optimized paths first, round robin among
 * them; active/non-optimized only when no optimized path is up; any other up path only when no
 * active one is. As an NBD {@link BlockDevice} it splits requests into commands of at most
 * {@link #MAX_COMMAND} bytes and runs each through {@link Multipath#run}, which retries on
 * another path.
 */
final class MultipathLu implements BlockDevice {
    /** Largest READ/WRITE issued (FcpTarget accepts up to 32 MiB; smaller keeps retries cheap). */
    static final int MAX_COMMAND = 1 << 20;
    /** Largest UNMAP range per command (the target's MAXIMUM UNMAP LBA COUNT is 1 Mi blocks). */
    static final int MAX_UNMAP_BLOCKS = 1 << 19;

    final String id;
    final String exportName;
    final Multipath host;
    volatile long blocks;
    volatile int blockLength;
    final List<Path> paths = new CopyOnWriteArrayList<>();
    private final AtomicInteger next = new AtomicInteger();

    MultipathLu(Multipath host, String id, String exportName, long blocks, int blockLength) {
        this.host = host;
        this.id = id;
        this.exportName = exportName;
        this.blocks = blocks;
        this.blockLength = blockLength;
    }

    /** The path the next command takes, or null when none is up. */
    Path choose() {
        List<Path> tier = tier();
        if (tier.isEmpty()) {
            return null;
        }
        return tier.get(Math.floorMod(next.getAndIncrement(), tier.size()));
    }

    /** The up paths of the best state present: optimized, else non-optimized, else any other. */
    List<Path> tier() {
        List<Path> ao = new ArrayList<>();
        List<Path> an = new ArrayList<>();
        List<Path> other = new ArrayList<>();
        for (Path p : paths) {
            if (!p.up) {
                continue;
            }
            if (p.state == AccessState.ACTIVE_OPTIMIZED) {
                ao.add(p);
            } else if (p.state == AccessState.ACTIVE_NON_OPTIMIZED) {
                an.add(p);
            } else if (p.state != AccessState.UNAVAILABLE && p.state != AccessState.OFFLINE) {
                other.add(p);
            }
        }
        return !ao.isEmpty() ? ao : !an.isEmpty() ? an : other;
    }

    @Override
    public long size() {
        return blocks * blockLength;
    }

    @Override
    public int blockSize() {
        return blockLength;
    }

    @Override
    public byte[] read(long offset, int length) throws BlockIoException {
        if (length <= MAX_COMMAND) { // one command: its data is the answer, no copy
            byte[] d = host.run(this, Scsi.read16(offset / blockLength, length / blockLength), new byte[0], length).data();
            if (d.length != length) {
                throw new BlockIoException(NbdDescriptor.EIO, "short read: " + d.length + " of " + length);
            }
            return d;
        }
        byte[] out = new byte[length];
        for (int done = 0; done < length; ) {
            int n = Math.min(MAX_COMMAND, length - done);
            byte[] d = host.run(this, Scsi.read16((offset + done) / blockLength, n / blockLength), new byte[0], n).data();
            if (d.length != n) {
                throw new BlockIoException(NbdDescriptor.EIO, "short read: " + d.length + " of " + n);
            }
            System.arraycopy(d, 0, out, done, n);
            done += n;
        }
        return out;
    }

    @Override
    public void write(long offset, byte[] data, boolean fua) throws BlockIoException {
        for (int done = 0; done < data.length; ) {
            int n = Math.min(MAX_COMMAND, data.length - done);
            byte[] chunk = done == 0 && n == data.length ? data : java.util.Arrays.copyOfRange(data, done, done + n);
            host.run(this, Scsi.write16((offset + done) / blockLength, n / blockLength, fua), chunk, 0);
            done += n;
        }
    }

    @Override
    public void flush() throws BlockIoException {
        host.run(this, Scsi.synchronizeCache10(), new byte[0], 0);
    }

    @Override
    public void trim(long offset, long length) throws BlockIoException {
        long lba = offset / blockLength;
        long count = length / blockLength;
        while (count > 0) {
            int n = (int) Math.min(MAX_UNMAP_BLOCKS, count);
            byte[] params = Scsi.unmapParameters(lba, n);
            host.run(this, Scsi.unmap(params.length), params, 0);
            lba += n;
            count -= n;
        }
    }
}
