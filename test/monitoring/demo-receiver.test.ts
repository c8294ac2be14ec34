import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { repoRoot } from './paths.js'

/** The receiver prints before it answers, but its output may reach this process a moment later. */
async function printed(output: () => string, text: string): Promise<string> {
  const deadline = Date.now() + 5000
  while (!output().includes(text) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20))
  return output()
}

describe("the demo stack's notification receiver", () => {
  let child: ChildProcess
  let output = ''
  let url: string

  beforeAll(async () => {
    child = spawn(process.execPath, [join(repoRoot, 'alertmanager/demo-receiver.mjs'), '0'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    const port = await new Promise<string>((resolve, reject) => {
      child.once('exit', () => reject(new Error(`exited: ${output}`)))
      const check = setInterval(() => {
        const match = /listening on (\d+)/.exec(output)
        if (match) {
          clearInterval(check)
          resolve(match[1] as string)
        }
      }, 20)
    })
    url = `http://127.0.0.1:${port}`
  })

  afterAll(() => {
    child?.kill('SIGTERM')
  })

  it('prints the alerts of an Alertmanager webhook', async () => {
    const payload = {
      receiver: 'pager',
      status: 'firing',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'TencentChatApiOverRateLimit' },
          annotations: { description: 'v4/openim/batchsendmsg runs at 255%' },
        },
      ],
    }
    const response = await fetch(`${url}/pager/webhook`, { method: 'POST', body: JSON.stringify(payload) })
    expect(response.status).toBe(200)
    expect(output).toContain(
      '/pager/webhook\n  firing TencentChatApiOverRateLimit v4/openim/batchsendmsg runs at 255%',
    )
  })

  it('answers like WeCom and prints the message', async () => {
    const token = (await (await fetch(`${url}/chat/wecom/gettoken?corpid=x`)).json()) as Record<
      string,
      unknown
    >
    expect(token).toMatchObject({ errcode: 0, access_token: 'demo' })
    const sent = await fetch(`${url}/chat/wecom/message/send?access_token=demo`, {
      method: 'POST',
      body: JSON.stringify({ msgtype: 'text', text: { content: '[FIRING] TencentChatApiNearRateLimit' } }),
    })
    expect(((await sent.json()) as { errcode: number }).errcode).toBe(0)
    const line = '/chat/wecom/message/send\n  [FIRING] TencentChatApiNearRateLimit'
    expect(await printed(() => output, line)).toContain(line)
  })
})
