package io.evasan.fabric.switching;

import io.evasan.fabric.frame.Els;
import io.evasan.fabric.frame.Els.Login;
import io.evasan.fabric.frame.EncapsulationDescriptor;
import io.evasan.fabric.frame.FcpDescriptor;
import io.evasan.fabric.frame.Frame;
import io.evasan.fabric.frame.FrameHeader;
import io.evasan.fabric.frame.NameServerDescriptor;
import io.evasan.fabric.link.InMemoryLink;
import io.evasan.fabric.link.LinkEnd;
import io.evasan.fabric.nport.NPort;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;

import static io.evasan.fabric.frame.ElsDescriptor.*;
import static io.evasan.fabric.frame.FrameHeaderDescriptor.*;
import static org.junit.jupiter.api.Assertions.*;

class SwitchFuzzTest {
    static final long HOST = 0x1000_0000_C9AA_0001L;
    static final long TARGET = 0x5000_1FE1_5000_0001L;
    static final long OUTSIDER = 0x1000_0000_C9BB_0002L;

    /** The switch side of a link, recording anything the switch throws while handling input. */
    static final class Guarded implements LinkEnd {
        final LinkEnd end;
        final Queue<Throwable> thrown = new ConcurrentLinkedQueue<>();

        Guarded(LinkEnd end) {
            this.end = end;
        }

        @Override
        public void send(byte[] encapsulated) {
            end.send(encapsulated);
        }

        @Override
        public void receiver(Receiver r) {
            end.receiver(new Receiver() {
                @Override
                public void received(byte[] b) {
                    try {
                        r.received(b);
                    } catch (Throwable t) {
                        thrown.add(t);
                    }
                }

                @Override
                public void linkUp() {
                    r.linkUp();
                }

                @Override
                public void linkDown() {
                    r.linkDown();
                }
            });
        }

        @Override
        public boolean isUp() {
            return end.isUp();
        }
    }

    @Test
    void shouldSurviveMutatedFramesFromAPortOutsideTheZoneWithoutLettingAnyThrough() throws Exception {
        long seed = new Random().nextLong();
        System.out.println("SwitchFuzzTest seed " + seed);
        Random rnd = new Random(seed);
        FabricSwitch fabric = new FabricSwitch(1, 0x1000_0000_0000_0001L);
        fabric.activate(ZoneSet.empty("cfg").with("z", HOST, TARGET));
        InMemoryLink[] links = {new InMemoryLink("host"), new InMemoryLink("target"), new InMemoryLink("outsider")};
        Guarded[] guarded = new Guarded[3];
        long[] wwpns = {HOST, TARGET, OUTSIDER};
        NPort[] ports = new NPort[3];
        try {
            for (int i = 0; i < 3; i++) {
                ports[i] = new NPort("p" + i, wwpns[i], wwpns[i], links[i].a(), i != 1, i == 1, FabricFixture.WAIT);
                guarded[i] = new Guarded(links[i].b());
                fabric.attach(guarded[i]);
                ports[i].fabricLogin();
            }
            NPort host = ports[0];
            NPort target = ports[1];
            NPort outsider = ports[2];
            int h = host.portId();
            int t = target.portId();
            int o = outsider.portId();
            List<Frame> seeds = List.of(
                    new Frame(FrameHeader.request(R_CTL_ELS_REQ, TYPE_ELS, o, t, 1), Login.plogi(OUTSIDER, OUTSIDER, 2048, 2000).encode()),
                    new Frame(FrameHeader.request(R_CTL_ELS_REQ, TYPE_ELS, o, t, 2), new Els.Prli(PRLI,
                            List.of(Els.ServicePage.fcp(true, false))).encode()),
                    new Frame(FrameHeader.request(R_CTL_DD_UNSOL_CMD, TYPE_FCP, o, t, 3),
                            FcpDescriptor.Cmnd.scsi(0, new byte[] {0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0}, true, false, 512).encode()),
                    new Frame(FrameHeader.request(R_CTL_BA_ABTS, TYPE_BLS, o, t, 4), new byte[0]),
                    new Frame(FrameHeader.request(R_CTL_DD_UNSOL_CTL, TYPE_CT, o, FID_DIR_SERV, 5),
                            new NameServerDescriptor.GidPn(TARGET).encode()),
                    new Frame(FrameHeader.request(R_CTL_DD_UNSOL_CTL, TYPE_CT, o, FID_DIR_SERV, 6),
                            NameServerDescriptor.RftId.of(o, TYPE_FCP).encode()),
                    new Frame(FrameHeader.request(R_CTL_ELS_REQ, TYPE_ELS, o, FID_FCTRL, 7), new Els.Scr(SCRF_FULL).encode()),
                    new Frame(FrameHeader.request(R_CTL_ELS_REQ, TYPE_ELS, h, t, 8), Login.plogi(HOST, HOST, 2048, 2000).encode()));
            for (int i = 0; i < 3000; i++) {
                byte[] frame = seeds.get(rnd.nextInt(seeds.size())).encode();
                int flips = rnd.nextInt(4);
                for (int k = 0; k < flips; k++) {
                    int at = rnd.nextInt(frame.length);
                    if (at >= 1 && at <= 3 && rnd.nextBoolean()) {
                        continue; // mostly keep D_ID, so most frames head for the target
                    }
                    frame[at] ^= (byte) (1 << rnd.nextInt(8));
                }
                if (rnd.nextInt(10) == 0) {
                    frame = java.util.Arrays.copyOf(frame, rnd.nextInt(frame.length + 1));
                }
                byte[] wire;
                try {
                    wire = EncapsulationDescriptor.encode(Frame.decode(frame));
                } catch (Exception notAFrame) {
                    wire = EncapsulationDescriptor.encode(seeds.get(0));
                    wire[rnd.nextInt(wire.length)] ^= (byte) (1 << rnd.nextInt(8));
                }
                if (rnd.nextInt(20) == 0) {
                    wire = java.util.Arrays.copyOf(wire, rnd.nextInt(wire.length));
                }
                outsider.sendRaw(wire);
            }
            // every frame the outsider sent has been handled once the answer to one more comes back
            // (one direction keeps its order); the fuzz frames' answers may reuse any OX_ID, so wait for them
            outsider.sendRaw(EncapsulationDescriptor.encode(new Frame(FrameHeader.request(R_CTL_ELS_REQ, TYPE_ELS, 0,
                    FID_FLOGI, 0xFFF0), Login.flogi(OUTSIDER, OUTSIDER, 2048).encode())));
            Frame last;
            do {
                last = outsider.received().poll(FabricFixture.WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
                assertNotNull(last, "seed " + seed + ": the last FLOGI was not answered");
            } while (last.header().oxId() != 0xFFF0 || last.header().sId() != FID_FLOGI);
            assertEquals(LS_ACC, last.payload()[0], "seed " + seed + ": the switch still logs ports in");
            for (Guarded g : guarded) {
                assertTrue(g.thrown.isEmpty(), "seed " + seed + ": the switch threw " + g.thrown.peek());
            }
            FabricFixture.settle(target);
            for (Frame f : target.received()) {
                assertTrue(f.header().sId() >= 0xFFFFF0, "seed " + seed + ": the target received " + f);
            }
            assertEquals(List.of(h, t), host.gidFtFcp(), "seed " + seed);
            assertTrue(host.login(t).pages().get(0).targetFunction(), "seed " + seed);
            assertTrue(target.received().stream().anyMatch(f -> f.header().sId() == h), "seed " + seed);
        } finally {
            for (InMemoryLink l : links) {
                l.close();
            }
        }
    }
}
