package io.evasan.fabric.switching;

import io.evasan.fabric.frame.Els;
import io.evasan.fabric.frame.NameServerDescriptor;
import io.evasan.fabric.link.InMemoryLink;
import io.evasan.fabric.link.Link;
import io.evasan.fabric.link.TcpLink;
import io.evasan.fabric.nport.NPort;
import io.evasan.fabric.nport.NPortException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertNotNull;

/** One switch and the N_Ports cabled to it, for tests. */
public final class FabricFixture implements AutoCloseable {
    static final long SWITCH_WWN = 0x1000_0000_0000_0001L;
    /** Generous bound on waiting for a frame that must come; never a performance threshold. */
    public static final Duration WAIT = Duration.ofSeconds(30);

    public final FabricSwitch fabric = new FabricSwitch(1, SWITCH_WWN);
    final boolean tcp;
    public final List<Link> links = new ArrayList<>();

    public FabricFixture(boolean tcp) {
        this.tcp = tcp;
    }

    /** A new N_Port cabled to the next switch port; its link is {@code links.get(index - 1)}. */
    public NPort port(String name, long wwpn, boolean initiator, boolean target) {
        Link link = tcp ? new TcpLink(name) : new InMemoryLink(name);
        links.add(link);
        NPort p = new NPort(name, wwpn, wwpn | 0x0100_0000_0000_0000L, link.a(), initiator, target, WAIT);
        fabric.attach(link.b());
        return p;
    }

    /**
     * Makes every frame the switch sent to {@code p} before now arrive: a round trip through the
     * same link direction (frames in one direction keep their order).
     */
    public static void settle(NPort p) throws NPortException {
        p.nameServer(new NameServerDescriptor.GidFt(8));
    }

    public static Els.Rscn nextRscn(NPort p) throws InterruptedException {
        Els.Rscn r = p.rscns().poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertNotNull(r, "no RSCN arrived");
        return r;
    }

    @Override
    public void close() {
        links.forEach(Link::close);
    }
}
