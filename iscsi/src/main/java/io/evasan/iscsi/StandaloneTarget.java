package io.evasan.iscsi;

import io.evasan.scsi.lu.impl.MemoryLogicalUnit;
import io.evasan.scsi.lu.impl.PresentationTable;
import io.evasan.scsi.target.impl.DiskTarget;

/**
 * Runs the iSCSI target alone over the scsi module's executor ({@link DiskTarget}) with one thin
 * in-memory LUN presented to every initiator at LUN 0 — for manual tests with libiscsi/qemu and
 * for the tgtd comparison benchmark. Options: {@code --host H --port P --iqn IQN --size BYTES
 * [--chap INITIATOR:USER:SECRET]} (USER and SECRET must not contain ':'). Prints {@code LISTENING <port>} once bound, then serves until
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
                    // the initiator IQN contains colons: USER and SECRET are the last two fields
                    String v = args[i + 1];
                    int s2 = v.lastIndexOf(':');
                    int s1 = s2 <= 0 ? -1 : v.lastIndexOf(':', s2 - 1);
                    if (s1 <= 0) {
                        throw new IllegalArgumentException("--chap INITIATOR:USER:SECRET");
                    }
                    cfg.chap(v.substring(0, s1), v.substring(s1 + 1, s2), v.substring(s2 + 1));
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
