// Test driver: calls the compiled shim the way AD FS's policy engine does (Initialize once, then
// BeginExecuteQuery with a callback that calls EndExecuteQuery), for many queries at once.
//
//   mono ShimDriver.exe Url=http://127.0.0.1:8080/ BearerToken=... [TimeoutMs=...] < cases.jsonl
//
// stdin: one JSON array per line, [query, param0, param1, ...] (null params allowed).
// stdout: one JSON object per input line, in input order:
//   {"ok":true,"rows":[["..."]]}  or  {"ok":false,"exception":"AttributeStoreQueryFormatException","message":"..."}
// Exit code 0 when every case produced an answer line, 3 on a configuration exception, 2 on bad usage.
using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.Serialization;
using System.Runtime.Serialization.Json;
using System.Text;
using System.Threading;
using Devicegate.AdfsAttributeStore;
using Microsoft.IdentityServer.ClaimsPolicy.Engine.AttributeStore;

[DataContract]
sealed class Outcome
{
    [DataMember(Name = "ok", Order = 1)] public bool Ok;
    [DataMember(Name = "rows", Order = 2, EmitDefaultValue = false)] public string[][] Rows;
    [DataMember(Name = "exception", Order = 3, EmitDefaultValue = false)] public string Exception;
    [DataMember(Name = "message", Order = 4, EmitDefaultValue = false)] public string Message;
    [DataMember(Name = "callbackThreadIsCaller", Order = 5)] public bool CallbackOnCaller;
}

static class ShimDriver
{
    static Outcome Failed(Exception e)
    {
        return new Outcome { Ok = false, Exception = e.GetType().Name, Message = e.Message };
    }

    static int Main(string[] args)
    {
        var config = new Dictionary<string, string>();
        foreach (string arg in args)
        {
            int eq = arg.IndexOf('=');
            if (eq <= 0) { Console.Error.WriteLine("usage: ShimDriver.exe Key=Value... < cases.jsonl"); return 2; }
            config[arg.Substring(0, eq)] = arg.Substring(eq + 1);
        }
        IAttributeStore store = new DevicegateAttributeStore();
        try
        {
            store.Initialize(config);
        }
        catch (AttributeStoreException e)
        {
            Console.Out.WriteLine(Serialize(Failed(e)));
            return 3;
        }

        var lines = new List<string[]>();
        var reader = new DataContractJsonSerializer(typeof(string[]));
        string line;
        while ((line = Console.In.ReadLine()) != null)
        {
            if (line.Trim() == "") continue;
            lines.Add((string[])reader.ReadObject(new MemoryStream(Encoding.UTF8.GetBytes(line))));
        }

        var outcomes = new Outcome[lines.Count];
        using (var done = new CountdownEvent(lines.Count))
        {
            for (int i = 0; i < lines.Count; i++)
            {
                int index = i;
                string[] c = lines[i];
                string[] parameters = new string[c.Length - 1];
                Array.Copy(c, 1, parameters, 0, parameters.Length);
                int caller = Thread.CurrentThread.ManagedThreadId;
                try
                {
                    store.BeginExecuteQuery(c[0], parameters, ar =>
                    {
                        Outcome o;
                        try
                        {
                            o = new Outcome { Ok = true, Rows = store.EndExecuteQuery(ar) };
                        }
                        catch (Exception e)
                        {
                            o = Failed(e);
                        }
                        o.CallbackOnCaller = Thread.CurrentThread.ManagedThreadId == caller;
                        if ((int)ar.AsyncState != index) o = new Outcome { Ok = false, Exception = "DriverError", Message = "AsyncState was not passed through" };
                        outcomes[index] = o;
                        done.Signal();
                    }, index);
                }
                catch (Exception e)
                {
                    outcomes[index] = Failed(e);
                    done.Signal();
                }
            }
            if (!done.Wait(TimeSpan.FromSeconds(30))) { Console.Error.WriteLine("ShimDriver: callbacks did not all arrive within 30 s"); return 1; }
        }
        foreach (Outcome o in outcomes) Console.Out.WriteLine(Serialize(o));
        return 0;
    }

    static string Serialize(Outcome o)
    {
        using (var stream = new MemoryStream())
        {
            new DataContractJsonSerializer(typeof(Outcome)).WriteObject(stream, o);
            return Encoding.UTF8.GetString(stream.ToArray());
        }
    }
}
