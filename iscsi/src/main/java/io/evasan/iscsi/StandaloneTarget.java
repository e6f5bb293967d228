package io.evasan.iscsi;

import io.evasan.scsi.lu.impl.MemoryLogicalUnit;
import io.evasan.scsi.lu.impl.PresentationTable;
import io.evasan.scsi.target.impl.DiskTarget;

/**
 * Runs the iSCSI target alone over the scsi module's executor ({@link DiskTarget}) with one thin
 * in-memory LUN presented to every initiator at LUN 0 — for manual tests with libiscsi/qemu and
 * for the tgtd comparison benchmark. Options: {@code --host H --port P --iqn IQN --size BYTES
 * [--chap INITIATOR:USER:SECRET]}. Prints {@code LISTENING <port>} once bound, then serves until
 * killed.
 *
 * <p>Invariant: the LUN starts all zero and unallocated; nothing persists across runs.
 */
public final class StandaloneTarget {
    private StandaloneTarget() {
    }

    public static void main(String[] args) throws Exception {
        String host = "127.0.0.1";
        int port = 3260;
        String iqn = "iqn.2026-01.io.evasan:standalone";
        long size = 1L << 30;
        IscsiTargetConfig cfg = IscsiTargetConfig.create();
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--host" -> host = args[i + 1];
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                case "--iqn" -> iqn = args[i + 1];
                case "--size" -> size = Long.parseLong(args[i + 1]);
                case "--chap" -> {
                    String[] p = args[i + 1].split(":", 3);
                    if (p.length != 3) {
                        throw new IllegalArgumentException("--chap INITIATOR:USER:SECRET");
                    }
                    cfg.chap(p[0], p[1], p[2]);
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        PresentationTable table = new PresentationTable();
        table.present(PresentationTable.ALL, 0, MemoryLogicalUnit.ofBytes("lun0", size));
        DiskTarget target = new DiskTarget(table);
        cfg.host(host).port(port).addTarget(iqn, "evasan", target);
        IscsiTargetServer server = new IscsiTargetServer(cfg);
        int bound = server.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop();
            target.close();
        }));
        System.out.println("LISTENING " + bound + " iscsi://" + host + ":" + bound + "/" + iqn + "/0");
        System.out.flush();
        Thread.currentThread().join();
    }
}
