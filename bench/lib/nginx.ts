import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../../test/helpers/free-port.js'
import { type ServerProcess, spawnServer } from './children.js'

/** Where Debian's package puts nginx, for a PATH without /usr/sbin. */
const CANDIDATES = ['nginx', '/usr/sbin/nginx']

/**
 * The nginx program to run, with its version; throws a message naming the package to install when there
 * is none, before anything is started.
 */
export function findNginx(): { command: string; version: string } {
  for (const command of CANDIDATES) {
    // `nginx -v` prints "nginx version: nginx/1.22.1" to stderr.
    const run = spawnSync(command, ['-v'], { encoding: 'utf8' })
    const version = /nginx version: (\S+)/.exec(run.stderr ?? '')?.[1]
    if (run.status === 0 && version !== undefined) return { command, version }
  }
  throw new Error(
    "the egress suite compares the REST meter with nginx, and there is no nginx here: install Debian's package nginx (apt-get install nginx), or leave the suite out (--only ingest,scale,proxy,status)",
  )
}

export interface NginxOptions {
  /** Chat's stand-in, proxied to over HTTPS: `127.0.0.1:<port>`. */
  upstreamPort: number
  /** The CA that signed the stand-in's certificate (proxy_ssl_trusted_certificate). */
  caFile: string
  /** The name the stand-in's certificate holds (checked by proxy_ssl_verify). */
  upstreamName: string
}

/**
 * Debian's nginx as a user would put it in front of Chat's REST API: one worker, `proxy_pass` over
 * HTTPS with the upstream's certificate verified, and keep-alive connections to the upstream (an
 * `upstream` block with `keepalive`, HTTP/1.1 and an empty Connection header). Its configuration,
 * logs and temporary files live in a directory of its own, removed when it stops; it listens on
 * 127.0.0.1 only, runs in the foreground (`daemon off`) in a process group of its own, and answers
 * `GET /-/ready` itself.
 *
 * Three settings differ from nginx's defaults, to compare like with like: `keepalive_requests` is
 * raised on both sides (nginx closes a keep-alive connection after 1,000 requests, node:http and undici
 * never do); idle connections to the upstream are kept for 10 minutes as the meter's are (the stand-in
 * announces that timeout, which undici follows; nginx would close them after 60 s, and pay for new TLS
 * handshakes in the next round); and TLS 1.3 is allowed to the upstream (nginx 1.22 offers only up to
 * TLS 1.2 by default, node negotiates 1.3).
 */
export async function startNginx(options: NginxOptions): Promise<ServerProcess & { dir: string }> {
  const { command } = findNginx()
  const dir = mkdtempSync(join(tmpdir(), 'tce-bench-nginx-'))
  // Run as root, nginx's worker drops to another user: it must be able to enter the directory.
  chmodSync(dir, 0o755)
  const port = await freePort()
  const conf = join(dir, 'nginx.conf')
  writeFileSync(
    conf,
    `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events {
  worker_connections 4096;
}
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 1000000;

  upstream chat {
    server 127.0.0.1:${options.upstreamPort};
    keepalive 64;
    keepalive_requests 1000000;
    keepalive_timeout 600s;
  }

  server {
    listen 127.0.0.1:${port};

    location = /-/ready {
      return 200 "ok";
    }

    location /v4/ {
      proxy_pass https://chat;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_ssl_trusted_certificate ${options.caFile};
      proxy_ssl_verify on;
      proxy_ssl_name ${options.upstreamName};
      proxy_ssl_protocols TLSv1.2 TLSv1.3;
    }
  }
}
`,
  )
  try {
    const server = await spawnServer({
      name: 'nginx',
      command,
      // -e: the error log before the configuration is read (else /var/log/nginx/error.log).
      args: ['-p', dir, '-c', conf, '-e', join(dir, 'error.log'), '-g', 'daemon off;'],
      readyPath: '/-/ready',
      port,
      group: true,
    })
    return {
      ...server,
      dir,
      stop: async () => {
        await server.stop()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
}
