"""Seeds and reads moto's Route 53 for route53_publish_test.sh, through boto3 (moto's own
dependency, in the same venv): the test's view of the zone, independent of Mailroom's client.

    route53_moto.py ENDPOINT create-zone NAME          -> prints the zone id (Z...)
    route53_moto.py ENDPOINT put ZONE_ID NAME TTL VALUE...   (TXT, values quoted here)
    route53_moto.py ENDPOINT fill ZONE_ID COUNT        (COUNT foreign TXT sets n<i>.<zone>)
    route53_moto.py ENDPOINT txt ZONE_ID NAME          -> logical values, one a line, sorted
    route53_moto.py ENDPOINT raw ZONE_ID NAME          -> the Values as stored, one a line
    route53_moto.py ENDPOINT ttl ZONE_ID NAME
"""
import sys

import boto3


def main():
    endpoint, cmd, *args = sys.argv[1:]
    c = boto3.client("route53", endpoint_url=endpoint, region_name="us-east-1",
                     aws_access_key_id="AKIDE2E", aws_secret_access_key="e2e-secret")
    if cmd == "create-zone":
        z = c.create_hosted_zone(Name=args[0] + ".", CallerReference=args[0])
        print(z["HostedZone"]["Id"].split("/")[-1])
        return
    zone = args[0]
    if cmd == "put":
        name, ttl, values = args[1], int(args[2]), args[3:]
        c.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{
            "Action": "UPSERT", "ResourceRecordSet": {
                "Name": name + ".", "Type": "TXT", "TTL": ttl,
                "ResourceRecords": [{"Value": '"%s"' % v} for v in values]}}]})
        return
    if cmd == "fill":
        origin = c.get_hosted_zone(Id=zone)["HostedZone"]["Name"]
        changes = [{"Action": "CREATE", "ResourceRecordSet": {
            "Name": "n%03d.%s" % (i, origin), "Type": "TXT", "TTL": 60,
            "ResourceRecords": [{"Value": '"filler"'}]}} for i in range(int(args[1]))]
        c.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": changes})
        return
    name = args[1].rstrip(".") + "."
    sets = []
    kwargs = {"HostedZoneId": zone}
    while True:
        page = c.list_resource_record_sets(**kwargs)
        sets += page["ResourceRecordSets"]
        if not page["IsTruncated"]:
            break
        kwargs.update(StartRecordName=page["NextRecordName"], StartRecordType=page["NextRecordType"])
    for rs in sets:
        if rs["Name"] != name or rs["Type"] != "TXT":
            continue
        if cmd == "ttl":
            print(rs["TTL"])
        values = [r["Value"] for r in rs["ResourceRecords"]]
        if cmd == "raw":
            print("\n".join(values))
        if cmd == "txt":
            logical = ["".join(part for part in v.strip('"').split('" "')) for v in values]
            print("\n".join(sorted(logical)))


if __name__ == "__main__":
    main()
